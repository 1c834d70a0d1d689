/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment TaskFields on VideoTask {\n  id\n  status\n  progress\n  prompt\n  model\n  provider\n  channel\n  mediaType\n  seconds\n  size\n  videoUrl\n  thumbnailUrl\n  cost\n  error {\n    code\n    message\n  }\n  remixedFrom {\n    id\n  }\n  createdAt\n  updatedAt\n  completedAt\n}\n\nmutation CreateVideo($input: CreateVideoInput!) {\n  createVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation RemixVideo($input: RemixVideoInput!) {\n  remixVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation CancelTask($id: ID!) {\n  cancelTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery VideoTask($id: ID!) {\n  videoTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($first: Int, $after: String, $status: TaskStatus, $mediaType: MediaType) {\n  tasks(first: $first, after: $after, status: $status, mediaType: $mediaType) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        ...TaskFields\n      }\n    }\n  }\n}\n\nquery Me {\n  me {\n    id\n    subject\n    role\n    balance\n    held\n  }\n  stats {\n    total\n    queued\n    processing\n    completed\n    failed\n    cancelled\n    spent\n  }\n}\n\nsubscription TaskProgress($id: ID) {\n  taskProgress(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Models {\n  models {\n    name\n    provider\n    mediaType\n    seconds\n    defaultSeconds\n    sizes\n    defaultSize\n    aspectRatios {\n      aspectRatio\n      size\n    }\n    maxPromptLength\n    referenceImage\n    priceUnit\n    pricePerUnit\n    sizePrices {\n      size\n      pricePerUnit\n    }\n    defaultRequestPrice\n    available\n  }\n}": typeof types.TaskFieldsFragmentDoc,
};
const documents: Documents = {
    "fragment TaskFields on VideoTask {\n  id\n  status\n  progress\n  prompt\n  model\n  provider\n  channel\n  mediaType\n  seconds\n  size\n  videoUrl\n  thumbnailUrl\n  cost\n  error {\n    code\n    message\n  }\n  remixedFrom {\n    id\n  }\n  createdAt\n  updatedAt\n  completedAt\n}\n\nmutation CreateVideo($input: CreateVideoInput!) {\n  createVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation RemixVideo($input: RemixVideoInput!) {\n  remixVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation CancelTask($id: ID!) {\n  cancelTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery VideoTask($id: ID!) {\n  videoTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($first: Int, $after: String, $status: TaskStatus, $mediaType: MediaType) {\n  tasks(first: $first, after: $after, status: $status, mediaType: $mediaType) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        ...TaskFields\n      }\n    }\n  }\n}\n\nquery Me {\n  me {\n    id\n    subject\n    role\n    balance\n    held\n  }\n  stats {\n    total\n    queued\n    processing\n    completed\n    failed\n    cancelled\n    spent\n  }\n}\n\nsubscription TaskProgress($id: ID) {\n  taskProgress(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Models {\n  models {\n    name\n    provider\n    mediaType\n    seconds\n    defaultSeconds\n    sizes\n    defaultSize\n    aspectRatios {\n      aspectRatio\n      size\n    }\n    maxPromptLength\n    referenceImage\n    priceUnit\n    pricePerUnit\n    sizePrices {\n      size\n      pricePerUnit\n    }\n    defaultRequestPrice\n    available\n  }\n}": types.TaskFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment TaskFields on VideoTask {\n  id\n  status\n  progress\n  prompt\n  model\n  provider\n  channel\n  mediaType\n  seconds\n  size\n  videoUrl\n  thumbnailUrl\n  cost\n  error {\n    code\n    message\n  }\n  remixedFrom {\n    id\n  }\n  createdAt\n  updatedAt\n  completedAt\n}\n\nmutation CreateVideo($input: CreateVideoInput!) {\n  createVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation RemixVideo($input: RemixVideoInput!) {\n  remixVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation CancelTask($id: ID!) {\n  cancelTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery VideoTask($id: ID!) {\n  videoTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($first: Int, $after: String, $status: TaskStatus, $mediaType: MediaType) {\n  tasks(first: $first, after: $after, status: $status, mediaType: $mediaType) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        ...TaskFields\n      }\n    }\n  }\n}\n\nquery Me {\n  me {\n    id\n    subject\n    role\n    balance\n    held\n  }\n  stats {\n    total\n    queued\n    processing\n    completed\n    failed\n    cancelled\n    spent\n  }\n}\n\nsubscription TaskProgress($id: ID) {\n  taskProgress(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Models {\n  models {\n    name\n    provider\n    mediaType\n    seconds\n    defaultSeconds\n    sizes\n    defaultSize\n    aspectRatios {\n      aspectRatio\n      size\n    }\n    maxPromptLength\n    referenceImage\n    priceUnit\n    pricePerUnit\n    sizePrices {\n      size\n      pricePerUnit\n    }\n    defaultRequestPrice\n    available\n  }\n}"): (typeof documents)["fragment TaskFields on VideoTask {\n  id\n  status\n  progress\n  prompt\n  model\n  provider\n  channel\n  mediaType\n  seconds\n  size\n  videoUrl\n  thumbnailUrl\n  cost\n  error {\n    code\n    message\n  }\n  remixedFrom {\n    id\n  }\n  createdAt\n  updatedAt\n  completedAt\n}\n\nmutation CreateVideo($input: CreateVideoInput!) {\n  createVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation RemixVideo($input: RemixVideoInput!) {\n  remixVideo(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation CancelTask($id: ID!) {\n  cancelTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery VideoTask($id: ID!) {\n  videoTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($first: Int, $after: String, $status: TaskStatus, $mediaType: MediaType) {\n  tasks(first: $first, after: $after, status: $status, mediaType: $mediaType) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        ...TaskFields\n      }\n    }\n  }\n}\n\nquery Me {\n  me {\n    id\n    subject\n    role\n    balance\n    held\n  }\n  stats {\n    total\n    queued\n    processing\n    completed\n    failed\n    cancelled\n    spent\n  }\n}\n\nsubscription TaskProgress($id: ID) {\n  taskProgress(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Models {\n  models {\n    name\n    provider\n    mediaType\n    seconds\n    defaultSeconds\n    sizes\n    defaultSize\n    aspectRatios {\n      aspectRatio\n      size\n    }\n    maxPromptLength\n    referenceImage\n    priceUnit\n    pricePerUnit\n    sizePrices {\n      size\n      pricePerUnit\n    }\n    defaultRequestPrice\n    available\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;