import { useEffect, useState } from "react";
import { type Problem, seconds } from "../lib/errors";

/**
 * A failure people can act on, announced at once (role="alert"). A rate limit counts down
 * to the moment the request may be sent again.
 */
export function ErrorBanner({ problem, onDismiss }: { problem: Problem | null; onDismiss?: () => void }) {
  const [left, setLeft] = useState<number | null>(null);
  useEffect(() => {
    if (!problem?.retryAfter) {
      setLeft(null);
      return;
    }
    const until = Date.now() + problem.retryAfter * 1000;
    setLeft(problem.retryAfter);
    const timer = setInterval(() => {
      const remaining = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [problem]);
  if (!problem) return null;
  return (
    <div className="banner banner-error" role="alert" data-code={problem.code}>
      <div>
        <strong>{problem.title}</strong>
        <p>{problem.detail}</p>
        {left !== null && <p className="retry">{left > 0 ? `You can try again in ${seconds(left)}.` : "You can try again now."}</p>}
      </div>
      {onDismiss && (
        <button type="button" className="ghost small" onClick={onDismiss} aria-label="Dismiss the error">
          ×
        </button>
      )}
    </div>
  );
}
