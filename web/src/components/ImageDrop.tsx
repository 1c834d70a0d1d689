import { type DragEvent, useEffect, useId, useState } from "react";

/** what a reference image may be: the types Reelay accepts (it checks the bytes again) */
const ACCEPTED = "image/png,image/jpeg,image/webp,image/gif";

/**
 * A reference image from a file picker, a drop onto the zone, or a paste anywhere on the page;
 * with a preview and a way to remove it. The file input stays the keyboard's way in.
 */
export function ImageDrop({ file, onFile, required }: { file: File | null; onFile: (file: File | null) => void; required: boolean }) {
  const id = useId();
  const [over, setOver] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);

  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const take = (candidate: File | null | undefined) => {
    if (!candidate) return;
    if (!candidate.type.startsWith("image/")) {
      setRefused(`${candidate.name || "That file"} is not an image.`);
      return;
    }
    setRefused(null);
    onFile(candidate);
  };

  useEffect(() => {
    const paste = (event: ClipboardEvent) => {
      const pasted = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
      if (pasted) {
        event.preventDefault();
        take(pasted);
      }
    };
    document.addEventListener("paste", paste);
    return () => document.removeEventListener("paste", paste);
  });

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    take(event.dataTransfer.files[0]);
  };

  return (
    <div className="field">
      <label htmlFor={id}>Reference image{required ? " (required)" : " (optional)"}</label>
      <fieldset
        className={`dropzone${over ? " dropzone-over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <legend className="visually-hidden">Drop zone for the reference image</legend>
        {preview && file ? (
          <div className="dropzone-preview">
            <img src={preview} alt={`Preview of ${file.name || "the pasted file"}`} />
            <div>
              <p>
                {file.name || "Pasted image"} · {Math.ceil(file.size / 1024)} KB
              </p>
              <button type="button" className="small" onClick={() => onFile(null)}>
                Remove image
              </button>
            </div>
          </div>
        ) : (
          <p className="dropzone-text">Drop an image here, paste one, or choose a file.</p>
        )}
        <input
          id={id}
          type="file"
          accept={ACCEPTED}
          required={required && !file}
          aria-describedby={refused ? `${id}-error` : undefined}
          onChange={(e) => {
            take(e.currentTarget.files?.[0]);
            e.currentTarget.value = "";
          }}
        />
      </fieldset>
      {refused && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {refused}
        </p>
      )}
    </div>
  );
}
