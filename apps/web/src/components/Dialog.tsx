import {
  useEffect,
  useId,
  useRef,
  type KeyboardEvent,
  type ReactElement,
  type ReactNode,
} from 'react';
import { Icon } from './Icon';
import './dialog.css';

const FOCUSABLE =
  'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

interface DialogProps {
  title: string;
  description?: ReactNode;
  /**
   * Escape (unless hideCloseButton), the close button and Cancel call this; the parent unmounts
   * the dialog.
   */
  onClose: () => void;
  children: ReactNode;
  size?: 'small' | 'medium' | 'large';
  /**
   * A dialog whose only way out is an explicit choice: no × button, and Escape does not close it
   * (a reflex press would throw away what it shows only once).
   */
  hideCloseButton?: boolean;
}

/**
 * A modal on the native <dialog> element: showModal() makes the rest of the page inert and puts
 * the dialog in the top layer; Tab wraps inside it and Escape closes it. Mount it to open it and
 * unmount it to close it, so whatever it showed (a secret, say) leaves the DOM with it. Focus
 * starts on the element marked data-autofocus (or the first field) and returns to the opener.
 */
export function Dialog({
  title,
  description,
  onClose,
  children,
  size = 'medium',
  hideCloseButton = false,
}: DialogProps): ReactElement {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  function handleKeyDown(event: KeyboardEvent<HTMLDialogElement>): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      if (!hideCloseButton) onClose();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      className={`dialog dialog--${size}`}
      onKeyDown={handleKeyDown}
      onCancel={(event) => {
        // Escape handled above; this catches any other close request the browser makes.
        event.preventDefault();
        if (!hideCloseButton) onClose();
      }}
    >
      <header className="dialog__header">
        <div>
          <h2 id={titleId} className="dialog__title">
            {title}
          </h2>
          {description && (
            <div id={descriptionId} className="dialog__description">
              {description}
            </div>
          )}
        </div>
        {!hideCloseButton && (
          <button
            type="button"
            className="button button--ghost button--icon"
            aria-label="Close"
            onClick={onClose}
          >
            <Icon name="close" size={18} />
          </button>
        )}
      </header>
      <div className="dialog__body">{children}</div>
    </dialog>
  );
}

/** The row of buttons at the bottom of a dialog. */
export function DialogActions({ children }: { children: ReactNode }): ReactElement {
  return <div className="dialog__actions">{children}</div>;
}
