/** The state of the WebSocket that carries live progress, for the "reconnecting" banner. */
import type { ReelayUrqlClient } from "@reelay/client/urql";
import { useEffect, useState } from "react";

/** idle: no socket yet; reconnecting: it dropped (or the browser went offline) and the client is trying again */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting";

/**
 * Follows the socket's events; `onReconnected` runs once a dropped socket is back, when
 * whatever changed meanwhile has to be read again.
 */
export function useConnectionState(webSocket: ReelayUrqlClient["webSocket"], onReconnected: () => void): ConnectionState {
  const [state, setState] = useState<ConnectionState>("idle");
  useEffect(() => {
    let dropped = false;
    let open = false;
    const offs = [
      webSocket.on("connecting", () => setState(dropped ? "reconnecting" : "connecting")),
      webSocket.on("connected", (_socket, _payload, wasRetry) => {
        open = true;
        setState("connected");
        if (dropped || wasRetry) onReconnected();
        dropped = false;
      }),
      webSocket.on("closed", () => {
        open = false;
        dropped = true;
        setState("reconnecting");
      }),
    ];
    // the browser knows it is offline before the socket notices; if the socket lived through it, all is well again
    const offline = () => open && setState("reconnecting");
    const online = () => open && !dropped && setState("connected");
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    return () => {
      for (const off of offs) off();
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
    };
  }, [webSocket, onReconnected]);
  return state;
}
