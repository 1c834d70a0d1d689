-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "cancelAt" TIMESTAMP(3),
ADD COLUMN     "generatedAt" TIMESTAMP(3),
ADD COLUMN     "mirroredAt" TIMESTAMP(3),
ADD COLUMN     "settledQuantity" DOUBLE PRECISION,
ADD COLUMN     "startedAt" TIMESTAMP(3),
ADD COLUMN     "submittedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "task_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "taskId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "message" VARCHAR(500) NOT NULL,
    "data" JSONB,
    "count" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "task_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "task_events_taskId_at_idx" ON "task_events"("taskId", "at");

-- AddForeignKey
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
