import { builder } from "../builder.js";
import { ErrorCode, notFound, ReelayError } from "../errors.js";
import { parseTaskId } from "./tasks.js";

const BACKLOG_LIMIT = 200;
const ADMIN_RETRY_WINDOW_MS = 3600_000;

builder.queryField("mediaBacklog", (t) =>
  t.prismaField({
    type: ["Task"],
    description:
      "ADMIN only: completed tasks of any user whose media is not in storage (PROXIED, still retried; LOST, given up), oldest first",
    authScopes: { admin: true },
    args: { first: t.arg.int({ defaultValue: 50 }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.db.task.findMany({
        ...query,
        where: { status: "COMPLETED", mediaStatus: { in: ["PROXIED", "LOST"] } },
        orderBy: [{ completedAt: "asc" }, { id: "asc" }],
        take: Math.max(1, Math.min(BACKLOG_LIMIT, args.first ?? 50)),
      }),
  }),
);

builder.mutationField("retryMirror", (t) =>
  t.prismaField({
    type: "Task",
    description:
      "ADMIN only: copies a completed task's media into storage again at the next worker round (PROXIED or LOST); a task already STORED is returned unchanged",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseTaskId(String(args.id));
      const task = id ? await ctx.services.db.task.findUnique({ where: { id }, select: { status: true, mediaStatus: true } }) : null;
      if (!id || !task) throw notFound("No such task");
      if (task.status !== "COMPLETED")
        throw new ReelayError(ErrorCode.CONFLICT, `Only a COMPLETED task has media to mirror; this one is ${task.status}`);
      if (task.mediaStatus === "EXPIRED")
        throw new ReelayError(ErrorCode.CONFLICT, "This task's media was deleted after the retention period");
      if (task.mediaStatus === "PROXIED" || task.mediaStatus === "LOST") {
        const data = { mediaStatus: "PROXIED" as const, nextMirrorAt: new Date(), mirrorAttempts: 0 };
        // A LOST task's provider copy was thought gone; give it one more window to prove otherwise.
        const window = task.mediaStatus === "LOST" ? { upstreamMediaExpiresAt: new Date(Date.now() + ADMIN_RETRY_WINDOW_MS) } : {};
        await ctx.services.db.task.updateMany({ where: { id, mediaStatus: task.mediaStatus }, data: { ...data, ...window } });
      }
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
