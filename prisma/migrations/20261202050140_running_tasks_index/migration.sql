-- CreateIndex
CREATE INDEX "tasks_running_nextPollAt_idx" ON "tasks"("nextPollAt") WHERE (status = ANY (ARRAY['QUEUED'::"TaskStatus", 'PROCESSING'::"TaskStatus"]));
