-- CreateEnum
CREATE TYPE "WhenFull" AS ENUM ('QUEUE', 'REFUSE');

-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "whenFull" "WhenFull" NOT NULL DEFAULT 'QUEUE';

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "waitingSince" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "tasks_waiting_idx" ON "tasks"("channelId", "createdAt", "id") WHERE (("waitingSince" IS NOT NULL) AND (status = 'QUEUED'::"TaskStatus"));

-- CreateIndex
CREATE INDEX "tasks_channelId_completedAt_idx" ON "tasks"("channelId", "completedAt");
