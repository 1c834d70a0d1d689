import type { ConnectionState } from "../app/connection";

/** Says so while the live connection is down; live progress resumes by itself once it is back. */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
  return (
    <div className="connection-region" role="status" aria-live="polite">
      {state === "reconnecting" && (
        <div className="banner banner-warning connection-banner">
          <span className="spinner" aria-hidden="true" />
          <span>
            <strong>Connection lost.</strong> Reconnecting… Live progress resumes when the connection is back.
          </span>
        </div>
      )}
    </div>
  );
}
