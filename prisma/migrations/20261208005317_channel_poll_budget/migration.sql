-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "pollsPerSecond" INTEGER;

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "lastPolledAt" TIMESTAMP(3),
ADD COLUMN     "progressedAt" TIMESTAMP(3),
ADD COLUMN     "stallCheckAt" TIMESTAMP(3);
