import { adminOnly, builder } from "../builder.js";
import { notFound } from "../errors.js";
import { retryMirror } from "../worker/media-jobs.js";
import { parseTaskId } from "./tasks.js";

const BACKLOG_LIMIT = 200;

builder.queryField("mediaBacklog", (t) =>
  t.prismaField({
    type: ["Task"],
    ...adminOnly("completed tasks of any user whose media is not in storage (PROXIED, still retried; LOST, given up), oldest first"),
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
    ...adminOnly(
      "copies a completed task's media into storage again at the next worker round (PROXIED or LOST); a task already STORED is returned unchanged",
    ),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseTaskId(String(args.id));
      if (!id) throw notFound("No such task");
      await retryMirror(ctx.services, id);
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
