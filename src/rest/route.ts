import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { CurrentUser, Services } from "../context.js";
import type { MediaProxy } from "../http/media.js";

/** What a handler is given: the request, already authenticated and validated against its route's schemas. */
export interface RestCall<Query, Body, User extends CurrentUser | null> {
  services: Services;
  req: IncomingMessage;
  res: ServerResponse;
  /** the caller, on routes that require credentials */
  user: User;
  /** path parameters, percent-decoded */
  params: Record<string, string>;
  query: Query;
  body: Body;
  /** serves a task's media from its provider while the mirror is pending */
  mediaProxy: MediaProxy;
}

/** A JSON answer; a handler that writes the response itself (bytes, a page) returns nothing. */
export interface JsonAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The answer a route documents for success. */
export interface SuccessResponse {
  status: number;
  description: string;
  /** the JSON body; absent when the route answers `contentType` bytes */
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * One REST operation: the route table (routes.ts) dispatches by it, validates with its
 * schemas and builds the OpenAPI document from them, so what is documented is what is enforced.
 */
export interface RestRoute<
  Query extends z.ZodObject | undefined = z.ZodObject | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Auth extends boolean = boolean,
  Form extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: "GET" | "POST" | "DELETE";
  /** OpenAPI path template, e.g. /v1/videos/{video_id} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** whether the caller must present a bearer token (an `sk-rl-` key or a JWT) */
  auth: Auth;
  /** counted against RATE_LIMIT_PER_MINUTE with GraphQL's mutations */
  mutation?: boolean;
  /** a path parameter restricted to fixed values (the docs assets); others are any one path segment */
  pathEnums?: Record<string, readonly string[]>;
  query?: Query;
  body?: {
    /** the JSON body */
    json: Body;
    /** the same operation as multipart/form-data, at most one file */
    form?: Form;
    /** the body may carry a reference image (a file, a data: URL or base64), so its limit has room for one */
    image?: boolean;
  };
  /** request headers the operation reads, for the document */
  headers?: { name: string; description: string }[];
  /** the core's field names (as errors name them) → this route's wire names, for the error's `param` */
  fieldNames?: Record<string, string>;
  success: SuccessResponse;
  /** the error statuses the operation may answer besides 500 */
  errors: number[];
  handle(
    call: RestCall<
      Query extends z.ZodObject ? z.output<Query> : undefined,
      (Body extends z.ZodType ? z.output<Body> : undefined) | (Form extends z.ZodType ? z.output<Form> : never),
      Auth extends true ? CurrentUser : null
    >,
  ): Promise<JsonAnswer | undefined>;
}

/** Keeps a route's handler typed by its own schemas while the table holds routes of every shape. */
export const defineRoute = <
  Query extends z.ZodObject | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Auth extends boolean = true,
  Form extends z.ZodType | undefined = undefined,
>(
  route: RestRoute<Query, Body, Auth, Form>,
): RestRoute => route as unknown as RestRoute;
