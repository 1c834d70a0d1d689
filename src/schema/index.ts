import { builder } from "../builder.js";
import "./api-keys.js";
import "./audit.js";
import "./channels.js";
import "./ledger.js";
import "./media.js";
import "./models.js";
import "./operations.js";
import "./prices.js";
import "./task-details.js";
import "./tasks.js";
import "./users.js";
import "./webhooks.js";

export const schema = builder.toSchema();
