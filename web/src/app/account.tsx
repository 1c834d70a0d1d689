/** The signed-in user, their balance, and signing out, for every page. */
import { MeDocument, type MeQuery } from "@reelay/client";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo } from "react";
import { useQuery } from "urql";
import { describeError, type Problem } from "../lib/errors";
import type { Session } from "./session";

export interface Account {
  me: MeQuery["me"];
  stats: MeQuery["stats"];
  isAdmin: boolean;
  /** reads the balance again (after a task started, ended or was cancelled) */
  refresh(): void;
  signOut(): void;
  session: Session;
}

const AccountContext = createContext<Account | null>(null);

export function AccountProvider({
  session,
  signOut,
  onRefused,
  children,
}: {
  session: Session;
  signOut: () => void;
  /** ends the session with the reason */
  onRefused: (problem: Problem) => void;
  children: ReactNode;
}) {
  const [result, reexecute] = useQuery({ query: MeDocument });
  // `me` needs only a signed-in user, so FORBIDDEN here means the user was disabled
  useEffect(() => {
    const problem = result.error && describeError(result.error);
    if (problem?.code === "FORBIDDEN") onRefused(problem);
  }, [result.error, onRefused]);
  const data = result.data ?? session.me;
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const value = useMemo<Account>(
    () => ({ me: data.me, stats: data.stats, isAdmin: data.me.role === "ADMIN", refresh, signOut, session }),
    [data, refresh, signOut, session],
  );
  return <AccountContext.Provider value={value}>{children}</AccountContext.Provider>;
}

export function useAccount(): Account {
  const account = useContext(AccountContext);
  if (!account) throw new Error("useAccount outside AccountProvider");
  return account;
}
