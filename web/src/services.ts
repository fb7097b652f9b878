import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api/client";
import type { Auth, Identity } from "./auth";
import type { ConsoleConfig } from "./config";
import { Live, type LiveOptions } from "./live";

export interface Services {
  config: ConsoleConfig;
  auth: Auth;
  api: Api;
  identity: Identity;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("no services");
  return services;
}

export function openLive(services: Services, options: Pick<LiveOptions, "onOpen" | "onPush" | "onState">): Live {
  const live = new Live({
    url: services.config.wsUrl,
    token: () => services.auth.token(),
    tokenExpiresAt: () => services.auth.identity?.expiresAt ?? 0,
    ...options,
  });
  live.start();
  return live;
}
