import { describe, expect, it } from "vitest";
import { apiError } from "./client";

describe("apiError", () => {
  it("keeps the API's message, field and rule", () => {
    const error = apiError(400, { error: { code: "invalid", message: "UNAVAILABLE needs a reason", rule: "reason_required", field: "reason" } });
    expect(error.describe()).toBe("UNAVAILABLE needs a reason — (field reason, rule reason_required)");
  });

  it("lists every problem of a validation error", () => {
    const error = apiError(422, { error: { code: "validation", message: "the request is invalid", errors: [{ field: "body.status", rule: "enum", message: "Input should be AVAILABLE" }] } });
    expect(error.describe()).toContain("Input should be AVAILABLE (field body.status, rule enum)");
  });

  it("takes the gateway's shape and anything else", () => {
    expect(apiError(401, { message: "Unauthorized" }).describe()).toBe("Unauthorized");
    expect(apiError(502, "<html>").describe()).toBe("request failed (502)");
  });
});
