import { Prisma, TaskStatus } from "../generated/prisma/client.js";

export { TaskStatus };

/** Every task status, in the order a task moves through them (the Prisma enum's order). */
export const TASK_STATUSES = Object.values(TaskStatus);

/** Statuses of a task the provider is still working on: polled, cancellable, holding credit. */
export const RUNNING_STATUSES = [TaskStatus.QUEUED, TaskStatus.PROCESSING] as const satisfies readonly TaskStatus[];
export type RunningStatus = (typeof RUNNING_STATUSES)[number];

/** Statuses a task never leaves. */
export const TERMINAL_STATUSES = [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED] as const satisfies readonly TaskStatus[];

const terminal: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
export const isTerminal = (status: string) => terminal.has(status);
export const isRunning = (status: string): status is RunningStatus => !terminal.has(status);

/**
 * The running set as a SQL list for raw statements: `status IN (${RUNNING_SQL})`. Written
 * as literals, not parameters, so the planner can match the partial index of running tasks.
 */
export const RUNNING_SQL = Prisma.raw(RUNNING_STATUSES.map((s) => `'${s}'`).join(", "));
