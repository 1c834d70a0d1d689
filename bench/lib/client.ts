import { SignJWT } from "jose";
import { BENCH_JWT_SECRET } from "./env.js";

const key = new TextEncoder().encode(BENCH_JWT_SECRET);

export const tokenFor = (subject: string, role?: "admin") =>
  new SignJWT(role ? { role } : {}).setProtectedHeader({ alg: "HS256" }).setSubject(subject).setExpirationTime("2h").sign(key);

export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as never;
}
