import { useEffect, useState } from "preact/hooks";
import { makeApi } from "./api/client";
import type { Auth, Identity } from "./auth";
import type { ConsoleConfig } from "./config";
import { type Services, ServicesContext } from "./services";
import { AgentView } from "./views/Agent";
import { AssignmentsView } from "./views/Assignments";
import { FinanceView } from "./views/Finance";
import { SupervisorView } from "./views/Supervisor";

interface View {
  route: string;
  label: string;
  roles: string[];
  render: () => preact.JSX.Element;
}

const VIEWS: View[] = [
  { route: "#/agent", label: "My status", roles: ["AGENT"], render: () => <AgentView /> },
  { route: "#/assignments", label: "My assignments", roles: ["AGENT"], render: () => <AssignmentsView /> },
  { route: "#/supervisor", label: "Agents status", roles: ["SUPERVISOR", "UNIT_MANAGER", "ADMIN"], render: () => <SupervisorView /> },
  { route: "#/finance", label: "Reports", roles: ["FINANCE", "ADMIN"], render: () => <FinanceView /> },
];

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

export function App({ config, auth, startError }: { config: ConsoleConfig; auth: Auth; startError: string | null }) {
  const [identity, setIdentity] = useState<Identity | null>(auth.identity);
  const [error, setError] = useState<string | null>(startError);
  const hash = useHash();
  useEffect(() => auth.subscribe(setIdentity), []);

  if (!identity) {
    return (
      <main id="main" class="signin">
        <h1>Contact center console</h1>
        <p>Sign in to see your status, your agents or your reports.</p>
        {error ? <p role="alert" class="feedback error">{error}</p> : null}
        <button type="button" class="primary" onClick={() => auth.signIn().catch((e: Error) => setError(`Sign-in could not start: ${e.message}`))}>
          Sign in
        </button>
      </main>
    );
  }

  const mine = VIEWS.filter((view) => view.roles.some((role) => identity.roles.includes(role)));
  const current = mine.find((view) => view.route === hash) ?? mine[0];
  const services: Services = { config, auth, identity, api: makeApi(config.apiUrl, () => auth.token()) };
  return (
    <ServicesContext.Provider value={services}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Contact center</span>
        <nav aria-label="views">
          <ul>
            {mine.map((view) => (
              <li key={view.route}>
                <a href={view.route} aria-current={view === current ? "page" : undefined}>{view.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {identity.name}{" "}
          <button type="button" onClick={() => void auth.signOut()}>Sign out</button>
        </span>
      </header>
      {current ? <div key={current.route}>{current.render()}</div> : (
        <main id="main"><h1>Nothing to show</h1><p>Your roles ({identity.roles.join(", ") || "none"}) have no view in this console.</p></main>
      )}
    </ServicesContext.Provider>
  );
}
