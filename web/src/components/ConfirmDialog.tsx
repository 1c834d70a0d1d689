import { type ReactNode, useCallback, useId, useRef, useState } from "react";

interface Question {
  title: string;
  body: ReactNode;
  confirm: string;
  danger?: boolean;
}

/**
 * A modal question (the native <dialog>: focus moves into it and Escape cancels). Returns the
 * element to render and `ask`, which resolves true when the action is confirmed.
 */
export function useConfirm(): [ReactNode, (question: Question) => Promise<boolean>] {
  const dialog = useRef<HTMLDialogElement>(null);
  const answer = useRef<((yes: boolean) => void) | null>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  const titleId = useId();
  const ask = useCallback((q: Question) => {
    setQuestion(q);
    // shown once React has rendered its content
    requestAnimationFrame(() => dialog.current?.showModal());
    return new Promise<boolean>((resolve) => {
      answer.current = resolve;
    });
  }, []);
  const close = (yes: boolean) => {
    dialog.current?.close();
    answer.current?.(yes);
    answer.current = null;
  };
  const element = (
    <dialog ref={dialog} className="dialog" aria-labelledby={titleId} onClose={() => close(false)}>
      {question && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            close(true);
          }}
        >
          <h2 id={titleId}>{question.title}</h2>
          <div className="dialog-body">{question.body}</div>
          <div className="actions">
            <button type="button" onClick={() => close(false)}>
              Keep
            </button>
            <button type="submit" className={question.danger ? "danger" : "primary"}>
              {question.confirm}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
  return [element, ask];
}
