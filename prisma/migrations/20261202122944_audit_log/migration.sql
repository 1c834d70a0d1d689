-- CreateEnum
CREATE TYPE "AuditAction" AS ENUM ('CHANNEL_CREATED', 'CHANNEL_UPDATED', 'CHANNEL_HEALTH_RESET', 'CHANNEL_KEY_ROTATED', 'CREDIT_GRANTED', 'PRICE_SET');

-- CreateTable
CREATE TABLE "audit_log" (
    "id" UUID NOT NULL,
    "action" "AuditAction" NOT NULL,
    "actorId" UUID,
    "actorSubject" TEXT,
    "targetType" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_log_createdAt_id_idx" ON "audit_log"("createdAt", "id");

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
