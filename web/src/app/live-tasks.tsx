/**
 * Every task of the signed-in user as it changes, from one `taskProgress` subscription
 * without an id (it sends the running tasks at once, then each change). Pages read the
 * latest state of a task from here, over whatever their own queries returned.
 */
import { type TaskFieldsFragment, TaskProgressDocument, VideoTaskDocument } from "@reelay/client";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { useClient } from "urql";
import { useAccount } from "./account";
import { type ConnectionState, useConnectionState } from "./connection";

export type Task = TaskFieldsFragment;

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
export const isTerminal = (status: string) => TERMINAL.has(status);

/** a burst of changes (several tasks ending together) reads the balance once */
const BALANCE_REFRESH_DELAY_MS = 150;

/**
 * An answer that arrives late (an HTTP read overtaken by the socket) never moves a task back:
 * a terminal state stays, and otherwise the later update wins (ISO times compare as text).
 */
function isOlder(next: Task, old: Task): boolean {
  if (isTerminal(old.status)) return next.status !== old.status || next.updatedAt < old.updatedAt;
  return !isTerminal(next.status) && next.updatedAt < old.updatedAt;
}

export interface LiveTasks {
  /** every task seen this session, newest first */
  tasks: Task[];
  /** the latest state of a task, when it has been seen */
  latest<T extends Task>(task: T): T;
  /** counts each task that started or ended: pages that list tasks read again when it moves */
  version: number;
  /** the task a mutation returned, so it shows at once */
  track(task: Task): void;
  connection: ConnectionState;
}

const LiveTasksContext = createContext<LiveTasks | null>(null);

export function LiveTasksProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const { refresh, session } = useAccount();
  const seen = useRef(new Map<string, Task>());
  const [tick, setTick] = useState(0);
  const [version, setVersion] = useState(0);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // read through a ref, so that a new refresh function never restarts the subscription
  const refreshBalance = useRef(refresh);
  refreshBalance.current = refresh;

  const track = useCallback((task: Task) => {
    const old = seen.current.get(task.id);
    if (old && isOlder(task, old)) return;
    seen.current.set(task.id, task);
    setTick((n) => n + 1);
    if (old?.status === task.status) return;
    setVersion((n) => n + 1);
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => refreshBalance.current(), BALANCE_REFRESH_DELAY_MS);
  }, []);

  useEffect(() => {
    const subscription = client.subscription(TaskProgressDocument, {}).subscribe((result) => {
      if (result.data) track(result.data.taskProgress);
    });
    return () => {
      subscription.unsubscribe();
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    };
  }, [client, track]);

  // The subscription starts again by itself after a reconnect, with the running tasks; a task
  // that ended while the socket was down is no longer running, so it is read here.
  const resync = useCallback(() => {
    for (const task of seen.current.values()) {
      if (isTerminal(task.status)) continue;
      void client
        .query(VideoTaskDocument, { id: task.id }, { requestPolicy: "network-only" })
        .toPromise()
        .then((result) => result.data?.videoTask && track(result.data.videoTask));
    }
    refresh();
    setVersion((n) => n + 1);
  }, [client, track, refresh]);
  const connection = useConnectionState(session.urql.webSocket, resync);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is how a change to the map reaches the list
  const value = useMemo<LiveTasks>(() => {
    const tasks = [...seen.current.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    return {
      tasks,
      latest: <T extends Task>(task: T) => {
        const known = seen.current.get(task.id);
        return known && !isOlder(known, task) ? { ...task, ...known } : task;
      },
      version,
      track,
      connection,
    };
  }, [tick, version, track, connection]);
  return <LiveTasksContext.Provider value={value}>{children}</LiveTasksContext.Provider>;
}

export function useLiveTasks(): LiveTasks {
  const live = useContext(LiveTasksContext);
  if (!live) throw new Error("useLiveTasks outside LiveTasksProvider");
  return live;
}
