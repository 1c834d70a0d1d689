-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "circuitOpenUntil" TIMESTAMP(3),
ADD COLUMN     "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "lastErrorAt" TIMESTAMP(3),
ADD COLUMN     "maxConcurrency" INTEGER,
ADD COLUMN     "weight" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "tasks_channelId_status_idx" ON "tasks"("channelId", "status");
