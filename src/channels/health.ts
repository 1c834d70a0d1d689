import type { Channel } from "../generated/prisma/client.js";

/**
 * A channel's circuit breaker: CLOSED, in rotation; OPEN, out of rotation until its
 * cool-down ends; HALF_OPEN, the cool-down is over but the failures that tripped it stand,
 * so the next submission is a single trial that closes or reopens it.
 */
export type CircuitState = "CLOSED" | "OPEN" | "HALF_OPEN";

/** The failure columns of a channel that its circuit state is derived from. */
export type CircuitColumns = Pick<Channel, "consecutiveFailures" | "circuitOpenUntil">;

/** The one derivation of a channel's circuit state at `now` (the clock's time), used by routing and by `Channel.health`. */
export function circuitState(channel: CircuitColumns, failureThreshold: number, now: number): CircuitState {
  if (channel.circuitOpenUntil !== null && channel.circuitOpenUntil.getTime() > now) return "OPEN";
  return channel.consecutiveFailures >= failureThreshold ? "HALF_OPEN" : "CLOSED";
}

/** What an admin sees of a channel's circuit: its state, and why it is not closed. */
export interface ChannelHealth {
  state: CircuitState;
  /** submissions that failed in a row for the channel's own reasons */
  consecutiveFailures: number;
  /** while OPEN, when the cool-down ends; null otherwise */
  openUntil: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** A channel's health as `Channel.health` shows it, from its failure columns. */
export function channelHealth(
  channel: CircuitColumns & Pick<Channel, "lastError" | "lastErrorAt">,
  failureThreshold: number,
  now: number,
): ChannelHealth {
  const state = circuitState(channel, failureThreshold, now);
  return {
    state,
    consecutiveFailures: channel.consecutiveFailures,
    openUntil: state === "OPEN" ? channel.circuitOpenUntil : null,
    lastError: channel.lastError,
    lastErrorAt: channel.lastErrorAt,
  };
}
