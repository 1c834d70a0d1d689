-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'CHANNEL_DELETED';

-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "deletedAt" TIMESTAMP(3);
