import { render } from "preact";
import { App } from "./App";
import { Auth } from "./auth";
import { loadConfig } from "./config";
import "./styles.css";

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    root.innerHTML = "";
    const message = document.createElement("p");
    message.setAttribute("role", "alert");
    message.textContent = String((error as Error).message);
    root.append(message);
    return;
  }
  const auth = new Auth(config);
  let startError: string | null = null;
  try {
    await auth.start();
  } catch (error) {
    startError = `Sign-in failed: ${(error as Error).message}`;
  }
  render(<App config={config} auth={auth} startError={startError} />, root);
}

void start();
