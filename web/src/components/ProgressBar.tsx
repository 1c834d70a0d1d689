/** A task's progress, 0 to 100, as an ARIA progress bar. */
export function ProgressBar({ value, label, status }: { value: number; label: string; status?: string }) {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="progress-row">
      <div
        className={`progress${status ? ` progress-${status.toLowerCase()}` : ""}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={clamped}
      >
        {/* the width is set through the style object (CSSOM), which the policy's style-src 'self' allows */}
        <div className="progress-fill" style={{ width: `${clamped}%` }} />
      </div>
      <span className="progress-value" aria-hidden="true">
        {clamped}%
      </span>
    </div>
  );
}
