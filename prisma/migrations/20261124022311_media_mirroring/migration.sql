-- CreateEnum
CREATE TYPE "MediaStatus" AS ENUM ('STORED', 'PROXIED', 'LOST', 'EXPIRED');

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "mediaExpiresAt" TIMESTAMP(3),
ADD COLUMN     "mediaStatus" "MediaStatus",
ADD COLUMN     "mirrorAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "mirrorError" TEXT,
ADD COLUMN     "nextMirrorAt" TIMESTAMP(3),
ADD COLUMN     "upstreamMediaExpiresAt" TIMESTAMP(3),
ADD COLUMN     "upstreamResult" JSONB;

-- CreateIndex
CREATE INDEX "tasks_mediaStatus_nextMirrorAt_idx" ON "tasks"("mediaStatus", "nextMirrorAt");

-- CreateIndex
CREATE INDEX "tasks_mediaStatus_mediaExpiresAt_idx" ON "tasks"("mediaStatus", "mediaExpiresAt");

-- Media mirrored before this migration is in storage.
UPDATE "tasks" SET "mediaStatus" = 'STORED' WHERE "videoKey" IS NOT NULL;
