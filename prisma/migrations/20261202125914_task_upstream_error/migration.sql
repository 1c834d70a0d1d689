-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "upstreamError" TEXT;
