/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** ISO-8601 string, UTC */
  DateTime: { input: string; output: string; }
  /** a JSON value (output only) */
  JSON: { input: unknown; output: unknown; }
  /** exact decimal string in USD, e.g. "9.6"; never a float */
  Money: { input: string; output: string; }
  /** a file sent with the GraphQL multipart request spec */
  Upload: { input: File; output: File; }
};

/** a personal API key: sent as Authorization: Bearer sk-rl-…, it acts as its user with their role */
export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  /** null: works until revoked */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** never the key itself: a masked form such as sk-rl-…abcd */
  hint: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** to the minute; null if never used */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** what an admin (or an operator's command) changed */
export type AuditAction =
  | 'API_KEY_CREATED'
  | 'API_KEY_REVOKED'
  | 'CHANNEL_CREATED'
  | 'CHANNEL_DELETED'
  | 'CHANNEL_HEALTH_RESET'
  | 'CHANNEL_KEY_ROTATED'
  | 'CHANNEL_UPDATED'
  | 'CREDIT_GRANTED'
  | 'PRICE_SET'
  | 'USER_CREATED'
  | 'USER_DISABLED'
  | 'USER_ROLE_SET';

/** one admin action: who changed what, when, and the target before and after (never a secret: a channel key only as its hint) */
export type AuditEntry = Node & {
  __typename?: 'AuditEntry';
  action: AuditAction;
  /** the admin who acted; null for an operator's command (npm run keys:rotate) */
  actor?: Maybe<User>;
  /** the actor's JWT subject when they acted */
  actorSubject?: Maybe<Scalars['String']['output']>;
  /** the target after the change */
  after?: Maybe<Scalars['JSON']['output']>;
  /** the target before the change; null when it created the target */
  before?: Maybe<Scalars['JSON']['output']>;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** a channel's name, a user's subject, or a price's "<model> <size>" */
  target: Scalars['String']['output'];
  /** channel, user or price */
  targetType: Scalars['String']['output'];
};

export type AuditEntryConnection = {
  __typename?: 'AuditEntryConnection';
  edges: Array<AuditEntryEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type AuditEntryEdge = {
  __typename?: 'AuditEntryEdge';
  cursor: Scalars['String']['output'];
  node: AuditEntry;
};

export type Channel = Node & {
  __typename?: 'Channel';
  /** never the key itself: a masked form such as sk-...abcd */
  apiKeyHint: Scalars['String']['output'];
  baseUrl: Scalars['String']['output'];
  enabled: Scalars['Boolean']['output'];
  /** the circuit breaker: whether the channel is in rotation, and why not */
  health: ChannelHealth;
  id: Scalars['ID']['output'];
  /** running tasks this channel takes at most; null = no limit */
  maxConcurrency?: Maybe<Scalars['Int']['output']>;
  models: Array<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  /** provider polls per second for this channel's tasks, shared by every worker (a poll over it waits); null = no limit */
  pollsPerSecond?: Maybe<Scalars['Int']['output']>;
  priority: Scalars['Int']['output'];
  provider: Scalars['String']['output'];
  /** tasks QUEUED or PROCESSING on this channel now, not counting those waiting for a slot (see queueDepth) */
  runningTasks: Scalars['Int']['output'];
  /** share of new tasks among enabled channels of the same priority */
  weight: Scalars['Int']['output'];
  whenFull: WhenFull;
};

export type ChannelHealth = {
  __typename?: 'ChannelHealth';
  /** submissions that failed in a row for the channel's own reasons */
  consecutiveFailures: Scalars['Int']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  lastErrorAt?: Maybe<Scalars['DateTime']['output']>;
  openUntil?: Maybe<Scalars['DateTime']['output']>;
  state: CircuitState;
};

export type ChannelInput = {
  /** provider credential; for kling the form ACCESS_KEY:SECRET_KEY */
  apiKey: Scalars['String']['input'];
  baseUrl: Scalars['String']['input'];
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** running tasks this channel takes at most; omit or null for no limit */
  maxConcurrency?: InputMaybe<Scalars['Int']['input']>;
  models: Array<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  /** provider polls per second for this channel's tasks, across every worker; omit or null for no limit */
  pollsPerSecond?: InputMaybe<Scalars['Int']['input']>;
  priority?: InputMaybe<Scalars['Int']['input']>;
  /** openai | gemini | kling | dashscope | seedance | chat-sse (more may exist) */
  provider: Scalars['String']['input'];
  /** 1 to 1000: share of new tasks among channels of the same priority */
  weight?: InputMaybe<Scalars['Int']['input']>;
  /** what a new task does when the channel is full */
  whenFull?: InputMaybe<WhenFull>;
};

/** a partial change to a channel: omitted fields stay as they are, the key included */
export type ChannelPatch = {
  /** a new provider credential; omit it to keep the stored one */
  apiKey?: InputMaybe<Scalars['String']['input']>;
  baseUrl?: InputMaybe<Scalars['String']['input']>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** running tasks this channel takes at most; null for no limit */
  maxConcurrency?: InputMaybe<Scalars['Int']['input']>;
  models?: InputMaybe<Array<Scalars['String']['input']>>;
  /** a new name for the channel; its tasks follow it */
  name?: InputMaybe<Scalars['String']['input']>;
  /** provider polls per second for this channel's tasks, across every worker; null for no limit */
  pollsPerSecond?: InputMaybe<Scalars['Int']['input']>;
  priority?: InputMaybe<Scalars['Int']['input']>;
  /** 1 to 1000: share of new tasks among channels of the same priority */
  weight?: InputMaybe<Scalars['Int']['input']>;
  /** what a new task does when the channel is full */
  whenFull?: InputMaybe<WhenFull>;
};

/** how one channel did with the tasks that ended within the window */
export type ChannelStats = {
  __typename?: 'ChannelStats';
  cancelled: Scalars['Int']['output'];
  channel: Scalars['String']['output'];
  completed: Scalars['Int']['output'];
  failed: Scalars['Int']['output'];
  /** median time of a completed task from its submission to completion (its wait for a slot not included) */
  p50Seconds?: Maybe<Scalars['Float']['output']>;
  /** 95th percentile of the same */
  p95Seconds?: Maybe<Scalars['Float']['output']>;
  /** completed / (completed + failed), 0..1; cancelled tasks do not count; null when none ended */
  successRate?: Maybe<Scalars['Float']['output']>;
};

export type CircuitState =
  /** in rotation */
  | 'CLOSED'
  /** the cool-down is over: the next submission is a trial that closes or reopens it */
  | 'HALF_OPEN'
  /** out of rotation after repeated failures, until openUntil */
  | 'OPEN';

export type CreateApiKeyInput = {
  /** in the future; unset: the key works until revoked */
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** what the key is for, 1 to 100 characters */
  name: Scalars['String']['input'];
  /** ADMIN only: make the key for the user with this subject (created if unknown) */
  subject?: InputMaybe<Scalars['String']['input']>;
};

export type CreateApiKeyPayload = {
  __typename?: 'CreateApiKeyPayload';
  apiKey: ApiKey;
  /** the key itself, shown this once: Reelay keeps only its hash */
  key: Scalars['String']['output'];
};

export type CreateVideoInput = {
  aspectRatio?: InputMaybe<Scalars['String']['input']>;
  /** a deadline from creation: an ISO-8601 duration ("PT10M", "P1D") or a short one ("90s", "10m", "2h", "1d"), at most MAX_CANCEL_AFTER_MS; a task not finished by then is cancelled (CANCELLED, error code DEADLINE_EXCEEDED) and its hold released */
  cancelAfter?: InputMaybe<Scalars['String']['input']>;
  /** pick a channel by name; otherwise routed by model */
  channel?: InputMaybe<Scalars['String']['input']>;
  /** same key from the same user returns the same task instead of creating (and charging) another */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** an image file sent with the GraphQL multipart request spec */
  inputReference?: InputMaybe<Scalars['Upload']['input']>;
  /** alternative to inputReference: an https URL, a data: URL, or bare base64 image bytes */
  inputReferenceUrl?: InputMaybe<Scalars['String']['input']>;
  model: Scalars['String']['input'];
  prompt: Scalars['String']['input'];
  seconds?: InputMaybe<Scalars['Int']['input']>;
  size?: InputMaybe<Scalars['String']['input']>;
  /** which events to send; every event when unset or empty */
  webhookEvents?: InputMaybe<Array<WebhookEvent>>;
  /** where the task's events are POSTed, signed as Standard Webhooks (see docs/webhooks.md); a public http(s) address */
  webhookUrl?: InputMaybe<Scalars['String']['input']>;
};

/** one movement of money on a user's account */
export type LedgerEntry = Node & {
  __typename?: 'LedgerEntry';
  /** the amount moved; always positive, the kind says which way */
  amount: Scalars['Money']['output'];
  /** the spendable balance right after this movement */
  balanceAfter: Scalars['Money']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  kind: LedgerKind;
  note?: Maybe<Scalars['String']['output']>;
  /** the task this hold, settlement or release belongs to */
  task?: Maybe<VideoTask>;
};

export type LedgerEntryConnection = {
  __typename?: 'LedgerEntryConnection';
  edges: Array<LedgerEntryEdge>;
  pageInfo: PageInfo;
};

export type LedgerEntryEdge = {
  __typename?: 'LedgerEntryEdge';
  cursor: Scalars['String']['output'];
  node: LedgerEntry;
};

/** CREDIT/DEBIT: granted or removed by an admin; HOLD, SETTLE, RELEASE: a task's hold, its charge and its refund */
export type LedgerKind =
  | 'CREDIT'
  | 'DEBIT'
  | 'HOLD'
  | 'RELEASE'
  | 'SETTLE';

/** where a COMPLETED task's media is served from */
export type MediaStatus =
  /** deleted from storage after the retention period */
  | 'EXPIRED'
  /** the provider's copy expired before it could be mirrored */
  | 'LOST'
  /** not mirrored yet: served from the provider through this server while the mirror is retried */
  | 'PROXIED'
  /** in this service's storage */
  | 'STORED';

export type MediaType =
  | 'IMAGE'
  | 'VIDEO';

export type MirrorState = {
  __typename?: 'MirrorState';
  attempts: Scalars['Int']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  providerCopyExpiresAt?: Maybe<Scalars['DateTime']['output']>;
};

/** a model Reelay knows: what createVideo accepts for it, what it costs, and whether it can be used now */
export type Model = {
  __typename?: 'Model';
  aspectRatios: Array<ModelAspectRatio>;
  /** an enabled channel serves it and its circuit is not open; a task may still wait if every channel is busy */
  available: Scalars['Boolean']['output'];
  /** what createVideo with only model and prompt (and the image, when required) holds from the balance */
  defaultRequestPrice?: Maybe<Scalars['Money']['output']>;
  /** used when seconds is not given */
  defaultSeconds?: Maybe<Scalars['Int']['output']>;
  /** used when neither size nor aspectRatio is given */
  defaultSize?: Maybe<Scalars['String']['output']>;
  maxPromptLength: Scalars['Int']['output'];
  mediaType: MediaType;
  /** the value of CreateVideoInput.model */
  name: Scalars['String']['output'];
  /** USD per unit at the default size (an operator's price over the default); null when nothing prices the model */
  pricePerUnit?: Maybe<Scalars['Money']['output']>;
  /** what one unit of pricePerUnit is */
  priceUnit: PriceUnit;
  /** the provider protocol its channels speak */
  provider: Scalars['String']['output'];
  referenceImage: ReferenceImageUse;
  /** the seconds it makes; empty when seconds does not apply */
  seconds: Array<Scalars['Int']['output']>;
  /** the price per unit at each size it makes (its sizes, else the sizes its aspect ratios select); empty when the size is not chosen */
  sizePrices: Array<ModelSizePrice>;
  /** WIDTHxHEIGHT sizes it makes; empty when the size is not chosen */
  sizes: Array<Scalars['String']['output']>;
};

/** an aspect ratio a model takes, and the size it selects when no size is given */
export type ModelAspectRatio = {
  __typename?: 'ModelAspectRatio';
  /** e.g. 16:9 */
  aspectRatio: Scalars['String']['output'];
  /** WIDTHxHEIGHT */
  size: Scalars['String']['output'];
};

export type ModelPrice = {
  __typename?: 'ModelPrice';
  model: Scalars['String']['output'];
  /** USD per second of output; for IMAGE or TOKEN prices, the price per that unit */
  perSecond: Scalars['Money']['output'];
  /** WIDTHxHEIGHT, or * for any size */
  size: Scalars['String']['output'];
  unit: PriceUnit;
};

export type ModelPriceInput = {
  model: Scalars['String']['input'];
  /** price per unit (per second unless unit says otherwise) */
  perSecond: Scalars['Money']['input'];
  size: Scalars['String']['input'];
  /** defaults to the model's unit in the catalogue, else SECOND */
  unit?: InputMaybe<PriceUnit>;
};

/** a model's price at one size it makes */
export type ModelSizePrice = {
  __typename?: 'ModelSizePrice';
  /** USD per priceUnit at this size; null when nothing prices the model at it */
  pricePerUnit?: Maybe<Scalars['Money']['output']>;
  /** WIDTHxHEIGHT */
  size: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** cancels a QUEUED or PROCESSING task of the caller and releases its hold; a terminal task is returned unchanged */
  cancelTask: VideoTask;
  /** a new API key for the caller (or, for an admin, for subject's user); at most 50 active keys per user */
  createApiKey: CreateApiKeyPayload;
  /** ADMIN only: makes a user with that subject and role; CONFLICT when it exists */
  createUser: User;
  createVideo: VideoTask;
  /** ADMIN only: removes a channel from the list and routing, keeping its finished tasks readable; CONFLICT while tasks run on it */
  deleteChannel: Scalars['Boolean']['output'];
  /** ADMIN only: refuses the user's tokens and API keys from now on, on every instance within a second; its running tasks finish */
  disableUser: User;
  /** ADMIN only: adds amount (may be negative, never below zero balance) to the balance of the user with that JWT subject; creates the user if unknown */
  grantCredit: User;
  /** ADMIN only: polls any running task's provider now and records the answer; a task some worker is polling at this moment, or a terminal one, is returned as it is */
  refreshTask: VideoTask;
  remixVideo: VideoTask;
  /** ADMIN only: puts a channel back into rotation at once and clears its failure count */
  resetChannelHealth: Channel;
  /** ADMIN only: copies a completed task's media into storage again at the next worker round (PROXIED or LOST); a task already STORED is returned unchanged */
  retryMirror: VideoTask;
  /** revokes one of the caller's keys (an admin: anyone's); refused on every instance within a second */
  revokeApiKey: ApiKey;
  /** replaces the caller's webhook signing secret and returns the new one; for 24 hours deliveries carry a signature with the old secret too */
  rotateWebhookSecret: Scalars['String']['output'];
  /** ADMIN only */
  setModelPrice: ModelPrice;
  /** ADMIN only: gives the user with that subject a role (a JWT's role claim sets it again when the user signs in with one) */
  setUserRole: User;
  /** ADMIN only: changes only the fields given; the key stays unless a new one is given */
  updateChannel: Channel;
  /** ADMIN only */
  upsertChannel: Channel;
};


export type MutationCancelTaskArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreateUserArgs = {
  role: Role;
  subject: Scalars['String']['input'];
};


export type MutationCreateVideoArgs = {
  input: CreateVideoInput;
};


export type MutationDeleteChannelArgs = {
  name: Scalars['String']['input'];
};


export type MutationDisableUserArgs = {
  subject: Scalars['String']['input'];
};


export type MutationGrantCreditArgs = {
  amount: Scalars['Money']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
  subject: Scalars['String']['input'];
};


export type MutationRefreshTaskArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRemixVideoArgs = {
  input: RemixVideoInput;
};


export type MutationResetChannelHealthArgs = {
  name: Scalars['String']['input'];
};


export type MutationRetryMirrorArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetModelPriceArgs = {
  input: ModelPriceInput;
};


export type MutationSetUserRoleArgs = {
  role: Role;
  subject: Scalars['String']['input'];
};


export type MutationUpdateChannelArgs = {
  name: Scalars['String']['input'];
  patch: ChannelPatch;
};


export type MutationUpsertChannelArgs = {
  input: ChannelInput;
};

export type Node = {
  id: Scalars['ID']['output'];
};

export type OrderDirection =
  | 'ASC'
  | 'DESC';

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** what one unit of a price is: a second of video, an image, or a provider-reported token */
export type PriceUnit =
  | 'IMAGE'
  | 'SECOND'
  | 'TOKEN';

export type Query = {
  __typename?: 'Query';
  /** ADMIN only: every admin action, newest first */
  auditLog: AuditEntryConnection;
  /** ADMIN only: per channel, the tasks that ended within the window: outcomes, success rate and generation time percentiles */
  channelStats: Array<ChannelStats>;
  /** ADMIN only */
  channels: Array<Channel>;
  /** ADMIN only: the ledger of the user with that JWT subject, newest first */
  ledger: LedgerEntryConnection;
  /** the caller; requires authentication */
  me: User;
  /** ADMIN only: completed tasks of any user whose media is not in storage (PROXIED, still retried; LOST, given up), oldest first */
  mediaBacklog: Array<VideoTask>;
  /** every model Reelay knows, for building a request */
  models: Array<Model>;
  node?: Maybe<Node>;
  nodes: Array<Maybe<Node>>;
  /** ADMIN only: the submitted tasks of any user still QUEUED or PROCESSING, oldest first (those waiting for a slot are in queueDepth) */
  oldestRunningTasks: Array<VideoTask>;
  prices: Array<ModelPrice>;
  /** ADMIN only: every channel's running tasks by state, waiting ones included, with zeros */
  queueDepth: Array<QueueDepth>;
  /** ADMIN only: submitted running tasks whose provider reading (status or progress) has not moved for olderThanSeconds, longest unmoved first */
  stalledTasks: Array<VideoTask>;
  /** counts over the caller's tasks */
  stats: TaskStats;
  /** the caller's tasks, newest first unless ordered otherwise */
  tasks: VideoTaskConnection;
  /** ADMIN only: usage of the tasks created in [from, to), at most 366 days, per group */
  usage: Array<UsageGroup>;
  /** ADMIN only: every user, ordered by subject */
  users: UserConnection;
  /** null when the task does not exist or belongs to someone else */
  videoTask?: Maybe<VideoTask>;
};


export type QueryAuditLogArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryChannelStatsArgs = {
  window: StatsWindow;
};


export type QueryLedgerArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  subject: Scalars['String']['input'];
};


export type QueryMediaBacklogArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QueryOldestRunningTasksArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryStalledTasksArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  olderThanSeconds?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryTasksArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  direction?: InputMaybe<OrderDirection>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  mediaType?: InputMaybe<MediaType>;
  orderBy?: InputMaybe<TaskOrderField>;
  status?: InputMaybe<TaskStatus>;
};


export type QueryUsageArgs = {
  from: Scalars['DateTime']['input'];
  groupBy: UsageGroupBy;
  to: Scalars['DateTime']['input'];
};


export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


export type QueryVideoTaskArgs = {
  id: Scalars['ID']['input'];
};

/** the running tasks of one channel in one state */
export type QueueDepth = {
  __typename?: 'QueueDepth';
  channel: Scalars['String']['output'];
  count: Scalars['Int']['output'];
  /** null when count is 0 */
  oldestCreatedAt?: Maybe<Scalars['DateTime']['output']>;
  state: QueueState;
};

export type QueueState =
  /** being generated by the provider */
  | 'PROCESSING'
  /** submitted, queued at the provider */
  | 'QUEUED'
  /** in Reelay's queue for a slot on the channel (maxConcurrency reached); not yet submitted */
  | 'WAITING';

/** whether a model takes a reference image (inputReference or inputReferenceUrl) */
export type ReferenceImageUse =
  /** an image is optional */
  | 'ACCEPTED'
  /** a request with an image is refused */
  | 'NONE'
  /** image-to-video: a request without an image is refused */
  | 'REQUIRED';

export type RemixVideoInput = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  prompt: Scalars['String']['input'];
  /** a COMPLETED task of the same user; the remix runs on that task's channel */
  videoId: Scalars['ID']['input'];
  /** which events to send; every event when unset or empty */
  webhookEvents?: InputMaybe<Array<WebhookEvent>>;
  /** where the task's events are POSTed, signed as Standard Webhooks (see docs/webhooks.md); a public http(s) address */
  webhookUrl?: InputMaybe<Scalars['String']['input']>;
};

export type Role =
  | 'ADMIN'
  | 'USER';

export type StatsWindow =
  /** the last 24 hours */
  | 'DAY'
  /** the last hour */
  | 'HOUR';

export type Subscription = {
  __typename?: 'Subscription';
  /** With id: that task of the caller. Without: every task of the caller. Emits the current state at once, then every change of status or progress; a subscription with id completes after the task's terminal state is sent. */
  taskProgress: VideoTask;
};


export type SubscriptionTaskProgressArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

/** what a task is billed: the units, their price, and what was held, settled and returned */
export type TaskBilling = {
  __typename?: 'TaskBilling';
  /** taken from the balance when the task was created */
  held: Scalars['Money']['output'];
  /** the task's movements of money, oldest first: its hold, settlement and release */
  ledger: Array<LedgerEntry>;
  /** units billed: what the provider reported it made once COMPLETED (what was asked for when it reported nothing), what the hold covers while running, 0 after FAILED or CANCELLED */
  quantity?: Maybe<Scalars['Float']['output']>;
  /** held minus settled: returned to the balance once the task ended; null while it runs */
  refunded?: Maybe<Scalars['Money']['output']>;
  /** charged once the task ended (zero after FAILED or CANCELLED); null while it runs */
  settled?: Maybe<Scalars['Money']['output']>;
  unit: PriceUnit;
  /** the price of one unit, fixed when the task was created */
  unitPrice: Scalars['Money']['output'];
};

export type TaskError = {
  __typename?: 'TaskError';
  /** machine-readable, e.g. UPSTREAM_REJECTED, CONTENT_POLICY, TIMEOUT, UPSTREAM_ERROR */
  code: Scalars['String']['output'];
  message: Scalars['String']['output'];
};

/** one thing that happened to a task, and why, in Reelay's words */
export type TaskEvent = {
  __typename?: 'TaskEvent';
  at: Scalars['DateTime']['output'];
  /** how many times it happened in a row (repeated provider readings are folded into one) */
  count: Scalars['Int']['output'];
  kind: TaskEventKind;
  message: Scalars['String']['output'];
};

export type TaskEventKind =
  | 'CALLBACK'
  | 'CANCELLED'
  | 'COMPLETED'
  | 'CREATED'
  | 'DEADLINE_EXCEEDED'
  | 'FAILED'
  | 'FAILED_OVER'
  | 'MEDIA_LOST'
  | 'MIRRORED'
  | 'MIRROR_RETRY'
  | 'PROGRESS'
  | 'PROVIDER_STATUS'
  | 'QUEUED_FOR_SLOT'
  | 'REFUNDED'
  | 'RETRIED'
  | 'SETTLED'
  | 'STALLED'
  | 'SUBMITTED';

export type TaskOrderField =
  | 'CREATED_AT'
  | 'UPDATED_AT';

export type TaskStats = {
  __typename?: 'TaskStats';
  cancelled: Scalars['Int']['output'];
  completed: Scalars['Int']['output'];
  failed: Scalars['Int']['output'];
  processing: Scalars['Int']['output'];
  queued: Scalars['Int']['output'];
  /** sum of settled charges */
  spent: Scalars['Money']['output'];
  total: Scalars['Int']['output'];
};

export type TaskStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'PROCESSING'
  | 'QUEUED';

/** where a task's time went, in seconds; null for a phase it has not reached or finished */
export type TaskTimings = {
  __typename?: 'TaskTimings';
  /** from the media being ready at the provider until it was in Reelay's storage; null until it is stored */
  mirroring?: Maybe<Scalars['Float']['output']>;
  /** from creation until the provider started generating (or the task ended without starting) */
  queued?: Maybe<Scalars['Float']['output']>;
  /** from the start of generation until the provider had the media ready (or the task ended) */
  running?: Maybe<Scalars['Float']['output']>;
  /** from creation until the task ended; a mirror retried after completion may end later */
  total?: Maybe<Scalars['Float']['output']>;
};

/** what the tasks of one group, created in the window, made and cost */
export type UsageGroup = {
  __typename?: 'UsageGroup';
  /** settled charges */
  charged: Scalars['Money']['output'];
  /** held now for tasks not yet settled or released */
  held: Scalars['Money']['output'];
  /** images the completed tasks made */
  images: Scalars['Int']['output'];
  /** the user's subject, the model, or the day (YYYY-MM-DD, UTC) */
  key: Scalars['String']['output'];
  /** seconds of video the completed tasks made */
  seconds: Scalars['Int']['output'];
  tasksCompleted: Scalars['Int']['output'];
};

export type UsageGroupBy =
  /** by the UTC day the task was created, as YYYY-MM-DD */
  | 'DAY'
  /** by the task's model */
  | 'MODEL'
  /** by the subject of the task's owner */
  | 'USER';

export type User = Node & {
  __typename?: 'User';
  /** the user's API keys, newest first, revoked and expired ones included */
  apiKeys: Array<ApiKey>;
  /** spendable balance: credited minus settled minus currently held */
  balance: Scalars['Money']['output'];
  /** when an admin disabled this user; its tokens and API keys are refused since */
  disabledAt?: Maybe<Scalars['DateTime']['output']>;
  /** currently held for running tasks */
  held: Scalars['Money']['output'];
  id: Scalars['ID']['output'];
  /** every movement of this user's money, newest first */
  ledger: LedgerEntryConnection;
  role: Role;
  /** settled charges of finished tasks, in total */
  spent: Scalars['Money']['output'];
  /** the JWT sub claim that identifies this user */
  subject: Scalars['String']['output'];
  /** the whsec_ secret your webhook deliveries are signed with (Standard Webhooks), made on first read; null for anyone but the user themselves */
  webhookSecret?: Maybe<Scalars['String']['output']>;
};


export type UserLedgerArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};

export type UserConnection = {
  __typename?: 'UserConnection';
  edges: Array<UserEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type UserEdge = {
  __typename?: 'UserEdge';
  cursor: Scalars['String']['output'];
  node: User;
};

export type VideoTask = Node & {
  __typename?: 'VideoTask';
  aspectRatio?: Maybe<Scalars['String']['output']>;
  billing: TaskBilling;
  /** name of the channel (upstream configuration) that served it */
  channel: Scalars['String']['output'];
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** held while running, the settled charge once terminal (zero after FAILED or CANCELLED) */
  cost: Scalars['Money']['output'];
  createdAt: Scalars['DateTime']['output'];
  error?: Maybe<TaskError>;
  /** the task's event log, oldest first: the `last` most recent entries (at most 200) */
  events: Array<TaskEvent>;
  id: Scalars['ID']['output'];
  /** when the provider last answered a poll of the task; null before the first */
  lastPolledAt?: Maybe<Scalars['DateTime']['output']>;
  /** when the stored media will be deleted (MEDIA_RETENTION_DAYS); null when it is kept */
  mediaExpiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** null until COMPLETED */
  mediaStatus?: Maybe<MediaStatus>;
  mediaType: MediaType;
  /** ADMIN only: the state of the copy into storage, when it has not simply succeeded */
  mirror?: Maybe<MirrorState>;
  /** the model the client asked for, e.g. sora-2, sora-2-pro */
  model: Scalars['String']['output'];
  /** 0..100, never decreases */
  progress: Scalars['Int']['output'];
  prompt: Scalars['String']['output'];
  /** which adaptor served it: openai, gemini, kling, dashscope, chat-sse, ... */
  provider: Scalars['String']['output'];
  /** while the task waits in Reelay's queue for a slot on its channel (every channel that could take it is at its maxConcurrency): its place in that queue, 1 = submitted next; null otherwise */
  queuePosition?: Maybe<Scalars['Int']['output']>;
  remixedFrom?: Maybe<VideoTask>;
  seconds?: Maybe<Scalars['Int']['output']>;
  /** WIDTHxHEIGHT, e.g. 1280x720 */
  size?: Maybe<Scalars['String']['output']>;
  status: TaskStatus;
  thumbnailUrl?: Maybe<Scalars['String']['output']>;
  timings: TaskTimings;
  updatedAt: Scalars['DateTime']['output'];
  /** ADMIN only: the provider's own words when the task failed on its answer, as it gave them (error.message is Reelay's) */
  upstreamError?: Maybe<Scalars['String']['output']>;
  /** URL of the finished media in this service's storage (mirrored); null until COMPLETED */
  videoUrl?: Maybe<Scalars['String']['output']>;
  /** the latest events sent to webhookUrl, newest first (at most 500) */
  webhookDeliveries: Array<WebhookDelivery>;
  /** the events sent to webhookUrl; every event when empty */
  webhookEvents: Array<WebhookEvent>;
  /** where the task's events are POSTed; null: no webhook */
  webhookUrl?: Maybe<Scalars['String']['output']>;
};


export type VideoTaskEventsArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
};


export type VideoTaskWebhookDeliveriesArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
};

export type VideoTaskConnection = {
  __typename?: 'VideoTaskConnection';
  edges: Array<VideoTaskEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type VideoTaskEdge = {
  __typename?: 'VideoTaskEdge';
  cursor: Scalars['String']['output'];
  node: VideoTask;
};

/** one event of a task sent to its webhookUrl, with every attempt counted */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  /** attempts made so far, the one under way included */
  attempts: Scalars['Int']['output'];
  /** when the event happened */
  createdAt: Scalars['DateTime']['output'];
  /** when the receiver answered 2xx */
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  event: WebhookEvent;
  /** when retrying stopped, WEBHOOK_RETRY_FOR_MS after the event, without a 2xx */
  gaveUpAt?: Maybe<Scalars['DateTime']['output']>;
  /** the Standard Webhooks message id, sent as webhook-id on every attempt */
  id: Scalars['ID']['output'];
  /** why the last attempt failed; null once delivered */
  lastError?: Maybe<Scalars['String']['output']>;
  /** the receiver's HTTP status on the last attempt; null when none answered */
  lastStatus?: Maybe<Scalars['Int']['output']>;
  /** when it is tried next; null once delivered or given up */
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
};

/** a task change a webhook reports; see docs/webhooks.md */
export type WebhookEvent =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'PROGRESS'
  | 'STARTED';

/** what a new task does when every channel that could take it is at its maxConcurrency */
export type WhenFull =
  /** it waits in Reelay's queue for a slot on this channel and is submitted in order as one frees (VideoTask.queuePosition) */
  | 'QUEUE'
  /** createVideo is refused with RATE_LIMITED and nothing is charged */
  | 'REFUSE';

export type TaskFieldsFragment = { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null };

export type CreateVideoMutationVariables = Exact<{
  input: CreateVideoInput;
}>;


export type CreateVideoMutation = { __typename?: 'Mutation', createVideo: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } };

export type RemixVideoMutationVariables = Exact<{
  input: RemixVideoInput;
}>;


export type RemixVideoMutation = { __typename?: 'Mutation', remixVideo: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } };

export type CancelTaskMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type CancelTaskMutation = { __typename?: 'Mutation', cancelTask: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } };

export type VideoTaskQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type VideoTaskQuery = { __typename?: 'Query', videoTask?: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } | null };

export type TasksQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<TaskStatus>;
  mediaType?: InputMaybe<MediaType>;
}>;


export type TasksQuery = { __typename?: 'Query', tasks: { __typename?: 'VideoTaskConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'VideoTaskEdge', cursor: string, node: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } }> } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { __typename?: 'Query', me: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string }, stats: { __typename?: 'TaskStats', total: number, queued: number, processing: number, completed: number, failed: number, cancelled: number, spent: string } };

export type TaskProgressSubscriptionVariables = Exact<{
  id?: InputMaybe<Scalars['ID']['input']>;
}>;


export type TaskProgressSubscription = { __typename?: 'Subscription', taskProgress: { __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } };

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { __typename?: 'Query', models: Array<{ __typename?: 'Model', name: string, provider: string, mediaType: MediaType, seconds: Array<number>, defaultSeconds?: number | null, sizes: Array<string>, defaultSize?: string | null, maxPromptLength: number, referenceImage: ReferenceImageUse, priceUnit: PriceUnit, pricePerUnit?: string | null, defaultRequestPrice?: string | null, available: boolean, aspectRatios: Array<{ __typename?: 'ModelAspectRatio', aspectRatio: string, size: string }>, sizePrices: Array<{ __typename?: 'ModelSizePrice', size: string, pricePerUnit?: string | null }> }> };

export type LedgerEntryFieldsFragment = { __typename?: 'LedgerEntry', id: string, kind: LedgerKind, amount: string, balanceAfter: string, note?: string | null, createdAt: string, task?: { __typename?: 'VideoTask', id: string, model: string, status: TaskStatus } | null };

export type MyLedgerQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type MyLedgerQuery = { __typename?: 'Query', me: { __typename?: 'User', id: string, ledger: { __typename?: 'LedgerEntryConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'LedgerEntryEdge', cursor: string, node: { __typename?: 'LedgerEntry', id: string, kind: LedgerKind, amount: string, balanceAfter: string, note?: string | null, createdAt: string, task?: { __typename?: 'VideoTask', id: string, model: string, status: TaskStatus } | null } }> } } };

export type LedgerOfQueryVariables = Exact<{
  subject: Scalars['String']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type LedgerOfQuery = { __typename?: 'Query', ledger: { __typename?: 'LedgerEntryConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'LedgerEntryEdge', cursor: string, node: { __typename?: 'LedgerEntry', id: string, kind: LedgerKind, amount: string, balanceAfter: string, note?: string | null, createdAt: string, task?: { __typename?: 'VideoTask', id: string, model: string, status: TaskStatus } | null } }> } };

export type UsageQueryVariables = Exact<{
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
  groupBy: UsageGroupBy;
}>;


export type UsageQuery = { __typename?: 'Query', usage: Array<{ __typename?: 'UsageGroup', key: string, tasksCompleted: number, seconds: number, images: number, charged: string, held: string }> };

export type ApiKeyFieldsFragment = { __typename?: 'ApiKey', id: string, name: string, hint: string, createdAt: string, lastUsedAt?: string | null, expiresAt?: string | null, revokedAt?: string | null };

export type MyApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type MyApiKeysQuery = { __typename?: 'Query', me: { __typename?: 'User', id: string, apiKeys: Array<{ __typename?: 'ApiKey', id: string, name: string, hint: string, createdAt: string, lastUsedAt?: string | null, expiresAt?: string | null, revokedAt?: string | null }> } };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { __typename?: 'Mutation', createApiKey: { __typename?: 'CreateApiKeyPayload', key: string, apiKey: { __typename?: 'ApiKey', id: string, name: string, hint: string, createdAt: string, lastUsedAt?: string | null, expiresAt?: string | null, revokedAt?: string | null } } };

export type RevokeApiKeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RevokeApiKeyMutation = { __typename?: 'Mutation', revokeApiKey: { __typename?: 'ApiKey', id: string, name: string, hint: string, createdAt: string, lastUsedAt?: string | null, expiresAt?: string | null, revokedAt?: string | null } };

export type UserFieldsFragment = { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null };

export type UsersQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
}>;


export type UsersQuery = { __typename?: 'Query', users: { __typename?: 'UserConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'UserEdge', cursor: string, node: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null } }> } };

export type CreateUserMutationVariables = Exact<{
  subject: Scalars['String']['input'];
  role: Role;
}>;


export type CreateUserMutation = { __typename?: 'Mutation', createUser: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null } };

export type SetUserRoleMutationVariables = Exact<{
  subject: Scalars['String']['input'];
  role: Role;
}>;


export type SetUserRoleMutation = { __typename?: 'Mutation', setUserRole: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null } };

export type DisableUserMutationVariables = Exact<{
  subject: Scalars['String']['input'];
}>;


export type DisableUserMutation = { __typename?: 'Mutation', disableUser: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null } };

export type GrantCreditMutationVariables = Exact<{
  subject: Scalars['String']['input'];
  amount: Scalars['Money']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
}>;


export type GrantCreditMutation = { __typename?: 'Mutation', grantCredit: { __typename?: 'User', id: string, subject: string, role: Role, balance: string, held: string, spent: string, disabledAt?: string | null } };

export type ChannelFieldsFragment = { __typename?: 'Channel', id: string, name: string, provider: string, baseUrl: string, apiKeyHint: string, models: Array<string>, enabled: boolean, priority: number, weight: number, maxConcurrency?: number | null, runningTasks: number, health: { __typename?: 'ChannelHealth', state: CircuitState, consecutiveFailures: number, lastError?: string | null, lastErrorAt?: string | null, openUntil?: string | null } };

export type ChannelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ChannelsQuery = { __typename?: 'Query', channels: Array<{ __typename?: 'Channel', id: string, name: string, provider: string, baseUrl: string, apiKeyHint: string, models: Array<string>, enabled: boolean, priority: number, weight: number, maxConcurrency?: number | null, runningTasks: number, health: { __typename?: 'ChannelHealth', state: CircuitState, consecutiveFailures: number, lastError?: string | null, lastErrorAt?: string | null, openUntil?: string | null } }> };

export type UpsertChannelMutationVariables = Exact<{
  input: ChannelInput;
}>;


export type UpsertChannelMutation = { __typename?: 'Mutation', upsertChannel: { __typename?: 'Channel', id: string, name: string, provider: string, baseUrl: string, apiKeyHint: string, models: Array<string>, enabled: boolean, priority: number, weight: number, maxConcurrency?: number | null, runningTasks: number, health: { __typename?: 'ChannelHealth', state: CircuitState, consecutiveFailures: number, lastError?: string | null, lastErrorAt?: string | null, openUntil?: string | null } } };

export type UpdateChannelMutationVariables = Exact<{
  name: Scalars['String']['input'];
  patch: ChannelPatch;
}>;


export type UpdateChannelMutation = { __typename?: 'Mutation', updateChannel: { __typename?: 'Channel', id: string, name: string, provider: string, baseUrl: string, apiKeyHint: string, models: Array<string>, enabled: boolean, priority: number, weight: number, maxConcurrency?: number | null, runningTasks: number, health: { __typename?: 'ChannelHealth', state: CircuitState, consecutiveFailures: number, lastError?: string | null, lastErrorAt?: string | null, openUntil?: string | null } } };

export type DeleteChannelMutationVariables = Exact<{
  name: Scalars['String']['input'];
}>;


export type DeleteChannelMutation = { __typename?: 'Mutation', deleteChannel: boolean };

export type ResetChannelHealthMutationVariables = Exact<{
  name: Scalars['String']['input'];
}>;


export type ResetChannelHealthMutation = { __typename?: 'Mutation', resetChannelHealth: { __typename?: 'Channel', id: string, name: string, provider: string, baseUrl: string, apiKeyHint: string, models: Array<string>, enabled: boolean, priority: number, weight: number, maxConcurrency?: number | null, runningTasks: number, health: { __typename?: 'ChannelHealth', state: CircuitState, consecutiveFailures: number, lastError?: string | null, lastErrorAt?: string | null, openUntil?: string | null } } };

export type PricesQueryVariables = Exact<{ [key: string]: never; }>;


export type PricesQuery = { __typename?: 'Query', prices: Array<{ __typename?: 'ModelPrice', model: string, size: string, unit: PriceUnit, perSecond: string }> };

export type SetModelPriceMutationVariables = Exact<{
  input: ModelPriceInput;
}>;


export type SetModelPriceMutation = { __typename?: 'Mutation', setModelPrice: { __typename?: 'ModelPrice', model: string, size: string, unit: PriceUnit, perSecond: string } };

export type MediaBacklogQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
}>;


export type MediaBacklogQuery = { __typename?: 'Query', mediaBacklog: Array<{ __typename?: 'VideoTask', mediaStatus?: MediaStatus | null, id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, mirror?: { __typename?: 'MirrorState', attempts: number, lastError?: string | null, nextAttemptAt?: string | null, providerCopyExpiresAt?: string | null } | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null }> };

export type RetryMirrorMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RetryMirrorMutation = { __typename?: 'Mutation', retryMirror: { __typename?: 'VideoTask', mediaStatus?: MediaStatus | null, id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null } };

export type AuditLogQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type AuditLogQuery = { __typename?: 'Query', auditLog: { __typename?: 'AuditEntryConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'AuditEntryEdge', cursor: string, node: { __typename?: 'AuditEntry', id: string, action: AuditAction, actorSubject?: string | null, targetType: string, target: string, before?: unknown | null, after?: unknown | null, createdAt: string } }> } };

export type WebhookSecretQueryVariables = Exact<{ [key: string]: never; }>;


export type WebhookSecretQuery = { __typename?: 'Query', me: { __typename?: 'User', id: string, webhookSecret?: string | null } };

export type RotateWebhookSecretMutationVariables = Exact<{ [key: string]: never; }>;


export type RotateWebhookSecretMutation = { __typename?: 'Mutation', rotateWebhookSecret: string };

export type VideoTaskWebhooksQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  last?: InputMaybe<Scalars['Int']['input']>;
}>;


export type VideoTaskWebhooksQuery = { __typename?: 'Query', videoTask?: { __typename?: 'VideoTask', id: string, webhookUrl?: string | null, webhookEvents: Array<WebhookEvent>, webhookDeliveries: Array<{ __typename?: 'WebhookDelivery', id: string, event: WebhookEvent, attempts: number, lastStatus?: number | null, lastError?: string | null, nextAttemptAt?: string | null, deliveredAt?: string | null, gaveUpAt?: string | null, createdAt: string }> } | null };

export type VideoTaskDetailsQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  lastEvents?: InputMaybe<Scalars['Int']['input']>;
}>;


export type VideoTaskDetailsQuery = { __typename?: 'Query', videoTask?: { __typename?: 'VideoTask', id: string, status: TaskStatus, events: Array<{ __typename?: 'TaskEvent', at: string, kind: TaskEventKind, message: string, count: number }>, timings: { __typename?: 'TaskTimings', queued?: number | null, running?: number | null, mirroring?: number | null, total?: number | null }, billing: { __typename?: 'TaskBilling', unit: PriceUnit, quantity?: number | null, unitPrice: string, held: string, settled?: string | null, refunded?: string | null, ledger: Array<{ __typename?: 'LedgerEntry', id: string, kind: LedgerKind, amount: string, balanceAfter: string, note?: string | null, createdAt: string, task?: { __typename?: 'VideoTask', id: string, model: string, status: TaskStatus } | null }> } } | null };

export type OperatorViewQueryVariables = Exact<{
  window: StatsWindow;
  first?: InputMaybe<Scalars['Int']['input']>;
  stalledForSeconds?: InputMaybe<Scalars['Int']['input']>;
}>;


export type OperatorViewQuery = { __typename?: 'Query', queueDepth: Array<{ __typename?: 'QueueDepth', channel: string, state: QueueState, count: number, oldestCreatedAt?: string | null }>, oldestRunningTasks: Array<{ __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null }>, stalledTasks: Array<{ __typename?: 'VideoTask', id: string, status: TaskStatus, progress: number, prompt: string, model: string, provider: string, channel: string, mediaType: MediaType, seconds?: number | null, size?: string | null, videoUrl?: string | null, thumbnailUrl?: string | null, cost: string, createdAt: string, updatedAt: string, completedAt?: string | null, error?: { __typename?: 'TaskError', code: string, message: string } | null, remixedFrom?: { __typename?: 'VideoTask', id: string } | null }>, channelStats: Array<{ __typename?: 'ChannelStats', channel: string, completed: number, failed: number, cancelled: number, successRate?: number | null, p50Seconds?: number | null, p95Seconds?: number | null }> };

export const TaskFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<TaskFieldsFragment, unknown>;
export const LedgerEntryFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LedgerEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LedgerEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"task"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<LedgerEntryFieldsFragment, unknown>;
export const ApiKeyFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"hint"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<ApiKeyFieldsFragment, unknown>;
export const UserFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<UserFieldsFragment, unknown>;
export const ChannelFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ChannelFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Channel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"baseUrl"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyHint"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrency"}},{"kind":"Field","name":{"kind":"Name","value":"runningTasks"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastErrorAt"}},{"kind":"Field","name":{"kind":"Name","value":"openUntil"}}]}}]}}]} as unknown as DocumentNode<ChannelFieldsFragment, unknown>;
export const CreateVideoDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateVideo"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateVideoInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createVideo"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<CreateVideoMutation, CreateVideoMutationVariables>;
export const RemixVideoDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemixVideo"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RemixVideoInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"remixVideo"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<RemixVideoMutation, RemixVideoMutationVariables>;
export const CancelTaskDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelTask"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelTask"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<CancelTaskMutation, CancelTaskMutationVariables>;
export const VideoTaskDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VideoTask"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"videoTask"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<VideoTaskQuery, VideoTaskQueryVariables>;
export const TasksDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Tasks"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TaskStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"mediaType"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"MediaType"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tasks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"mediaType"},"value":{"kind":"Variable","name":{"kind":"Name","value":"mediaType"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<TasksQuery, TasksQueryVariables>;
export const MeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}}]}},{"kind":"Field","name":{"kind":"Name","value":"stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"queued"}},{"kind":"Field","name":{"kind":"Name","value":"processing"}},{"kind":"Field","name":{"kind":"Name","value":"completed"}},{"kind":"Field","name":{"kind":"Name","value":"failed"}},{"kind":"Field","name":{"kind":"Name","value":"cancelled"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}}]}}]}}]} as unknown as DocumentNode<MeQuery, MeQueryVariables>;
export const TaskProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"TaskProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"taskProgress"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<TaskProgressSubscription, TaskProgressSubscriptionVariables>;
export const ModelsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"defaultSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"sizes"}},{"kind":"Field","name":{"kind":"Name","value":"defaultSize"}},{"kind":"Field","name":{"kind":"Name","value":"aspectRatios"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"aspectRatio"}},{"kind":"Field","name":{"kind":"Name","value":"size"}}]}},{"kind":"Field","name":{"kind":"Name","value":"maxPromptLength"}},{"kind":"Field","name":{"kind":"Name","value":"referenceImage"}},{"kind":"Field","name":{"kind":"Name","value":"priceUnit"}},{"kind":"Field","name":{"kind":"Name","value":"pricePerUnit"}},{"kind":"Field","name":{"kind":"Name","value":"sizePrices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"pricePerUnit"}}]}},{"kind":"Field","name":{"kind":"Name","value":"defaultRequestPrice"}},{"kind":"Field","name":{"kind":"Name","value":"available"}}]}}]}}]} as unknown as DocumentNode<ModelsQuery, ModelsQueryVariables>;
export const MyLedgerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyLedger"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"ledger"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LedgerEntryFields"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LedgerEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LedgerEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"task"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<MyLedgerQuery, MyLedgerQueryVariables>;
export const LedgerOfDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LedgerOf"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subject"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ledger"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subject"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subject"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LedgerEntryFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LedgerEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LedgerEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"task"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<LedgerOfQuery, LedgerOfQueryVariables>;
export const UsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Usage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UsageGroupBy"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"usage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"groupBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"tasksCompleted"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"images"}},{"kind":"Field","name":{"kind":"Name","value":"charged"}},{"kind":"Field","name":{"kind":"Name","value":"held"}}]}}]}}]} as unknown as DocumentNode<UsageQuery, UsageQueryVariables>;
export const MyApiKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyApiKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiKeyFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"hint"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<MyApiKeysQuery, MyApiKeysQueryVariables>;
export const CreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiKeyFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"hint"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const RevokeApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiKeyFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"hint"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>;
export const UsersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Users"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<UsersQuery, UsersQueryVariables>;
export const CreateUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subject"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"role"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Role"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subject"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subject"}}},{"kind":"Argument","name":{"kind":"Name","value":"role"},"value":{"kind":"Variable","name":{"kind":"Name","value":"role"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<CreateUserMutation, CreateUserMutationVariables>;
export const SetUserRoleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetUserRole"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subject"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"role"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Role"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setUserRole"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subject"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subject"}}},{"kind":"Argument","name":{"kind":"Name","value":"role"},"value":{"kind":"Variable","name":{"kind":"Name","value":"role"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<SetUserRoleMutation, SetUserRoleMutationVariables>;
export const DisableUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DisableUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subject"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"disableUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subject"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subject"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<DisableUserMutation, DisableUserMutationVariables>;
export const GrantCreditDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GrantCredit"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subject"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"amount"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Money"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"note"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"grantCredit"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subject"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subject"}}},{"kind":"Argument","name":{"kind":"Name","value":"amount"},"value":{"kind":"Variable","name":{"kind":"Name","value":"amount"}}},{"kind":"Argument","name":{"kind":"Name","value":"note"},"value":{"kind":"Variable","name":{"kind":"Name","value":"note"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"spent"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}}]} as unknown as DocumentNode<GrantCreditMutation, GrantCreditMutationVariables>;
export const ChannelsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Channels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"channels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ChannelFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ChannelFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Channel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"baseUrl"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyHint"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrency"}},{"kind":"Field","name":{"kind":"Name","value":"runningTasks"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastErrorAt"}},{"kind":"Field","name":{"kind":"Name","value":"openUntil"}}]}}]}}]} as unknown as DocumentNode<ChannelsQuery, ChannelsQueryVariables>;
export const UpsertChannelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpsertChannel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChannelInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upsertChannel"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ChannelFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ChannelFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Channel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"baseUrl"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyHint"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrency"}},{"kind":"Field","name":{"kind":"Name","value":"runningTasks"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastErrorAt"}},{"kind":"Field","name":{"kind":"Name","value":"openUntil"}}]}}]}}]} as unknown as DocumentNode<UpsertChannelMutation, UpsertChannelMutationVariables>;
export const UpdateChannelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateChannel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"patch"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChannelPatch"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateChannel"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"Argument","name":{"kind":"Name","value":"patch"},"value":{"kind":"Variable","name":{"kind":"Name","value":"patch"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ChannelFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ChannelFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Channel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"baseUrl"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyHint"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrency"}},{"kind":"Field","name":{"kind":"Name","value":"runningTasks"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastErrorAt"}},{"kind":"Field","name":{"kind":"Name","value":"openUntil"}}]}}]}}]} as unknown as DocumentNode<UpdateChannelMutation, UpdateChannelMutationVariables>;
export const DeleteChannelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteChannel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteChannel"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}]}]}}]} as unknown as DocumentNode<DeleteChannelMutation, DeleteChannelMutationVariables>;
export const ResetChannelHealthDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ResetChannelHealth"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resetChannelHealth"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ChannelFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ChannelFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Channel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"baseUrl"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyHint"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"maxConcurrency"}},{"kind":"Field","name":{"kind":"Name","value":"runningTasks"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastErrorAt"}},{"kind":"Field","name":{"kind":"Name","value":"openUntil"}}]}}]}}]} as unknown as DocumentNode<ResetChannelHealthMutation, ResetChannelHealthMutationVariables>;
export const PricesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Prices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"prices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"unit"}},{"kind":"Field","name":{"kind":"Name","value":"perSecond"}}]}}]}}]} as unknown as DocumentNode<PricesQuery, PricesQueryVariables>;
export const SetModelPriceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetModelPrice"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ModelPriceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setModelPrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"unit"}},{"kind":"Field","name":{"kind":"Name","value":"perSecond"}}]}}]}}]} as unknown as DocumentNode<SetModelPriceMutation, SetModelPriceMutationVariables>;
export const MediaBacklogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MediaBacklog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mediaBacklog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}},{"kind":"Field","name":{"kind":"Name","value":"mediaStatus"}},{"kind":"Field","name":{"kind":"Name","value":"mirror"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"nextAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"providerCopyExpiresAt"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<MediaBacklogQuery, MediaBacklogQueryVariables>;
export const RetryMirrorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RetryMirror"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryMirror"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}},{"kind":"Field","name":{"kind":"Name","value":"mediaStatus"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<RetryMirrorMutation, RetryMirrorMutationVariables>;
export const AuditLogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditLog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditLog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"actorSubject"}},{"kind":"Field","name":{"kind":"Name","value":"targetType"}},{"kind":"Field","name":{"kind":"Name","value":"target"}},{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AuditLogQuery, AuditLogQueryVariables>;
export const WebhookSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"WebhookSecret"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"webhookSecret"}}]}}]}}]} as unknown as DocumentNode<WebhookSecretQuery, WebhookSecretQueryVariables>;
export const RotateWebhookSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RotateWebhookSecret"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateWebhookSecret"}}]}}]} as unknown as DocumentNode<RotateWebhookSecretMutation, RotateWebhookSecretMutationVariables>;
export const VideoTaskWebhooksDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VideoTaskWebhooks"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"videoTask"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"webhookUrl"}},{"kind":"Field","name":{"kind":"Name","value":"webhookEvents"}},{"kind":"Field","name":{"kind":"Name","value":"webhookDeliveries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"event"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatus"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"nextAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"deliveredAt"}},{"kind":"Field","name":{"kind":"Name","value":"gaveUpAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]} as unknown as DocumentNode<VideoTaskWebhooksQuery, VideoTaskWebhooksQueryVariables>;
export const VideoTaskDetailsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VideoTaskDetails"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"lastEvents"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"videoTask"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"events"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"lastEvents"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"timings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queued"}},{"kind":"Field","name":{"kind":"Name","value":"running"}},{"kind":"Field","name":{"kind":"Name","value":"mirroring"}},{"kind":"Field","name":{"kind":"Name","value":"total"}}]}},{"kind":"Field","name":{"kind":"Name","value":"billing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unit"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"unitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"held"}},{"kind":"Field","name":{"kind":"Name","value":"settled"}},{"kind":"Field","name":{"kind":"Name","value":"refunded"}},{"kind":"Field","name":{"kind":"Name","value":"ledger"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LedgerEntryFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LedgerEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LedgerEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"note"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"task"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<VideoTaskDetailsQuery, VideoTaskDetailsQueryVariables>;
export const OperatorViewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OperatorView"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"window"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"StatsWindow"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"stalledForSeconds"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"queueDepth"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"oldestCreatedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"oldestRunningTasks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"stalledTasks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"olderThanSeconds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"stalledForSeconds"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"TaskFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"channelStats"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"window"},"value":{"kind":"Variable","name":{"kind":"Name","value":"window"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"completed"}},{"kind":"Field","name":{"kind":"Name","value":"failed"}},{"kind":"Field","name":{"kind":"Name","value":"cancelled"}},{"kind":"Field","name":{"kind":"Name","value":"successRate"}},{"kind":"Field","name":{"kind":"Name","value":"p50Seconds"}},{"kind":"Field","name":{"kind":"Name","value":"p95Seconds"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TaskFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"VideoTask"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"progress"}},{"kind":"Field","name":{"kind":"Name","value":"prompt"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"mediaType"}},{"kind":"Field","name":{"kind":"Name","value":"seconds"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"videoUrl"}},{"kind":"Field","name":{"kind":"Name","value":"thumbnailUrl"}},{"kind":"Field","name":{"kind":"Name","value":"cost"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"remixedFrom"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}}]}}]} as unknown as DocumentNode<OperatorViewQuery, OperatorViewQueryVariables>;