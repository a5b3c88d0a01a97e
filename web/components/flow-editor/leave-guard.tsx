'use client';
/**
 * The guard before leaving the editor with unsaved changes: a link in the app, the browser's Back, and
 * a reload or a closed tab (the browser's own "Leave site?" prompt) all ask first.
 *
 * Back: the App Router handles Back itself, after the URL has changed, and cannot be stopped. So while
 * there are unsaved changes the editor stands on a second history entry for the same page; Back leaves
 * that entry for the first (same page, nothing lost), the guard asks, and only "Leave" goes back again.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';

/** Marks the extra history entry the guard stands on. */
const GUARD_STATE = 'driplineLeaveGuard';

type Leaving = { kind: 'link'; href: string } | { kind: 'back' };

function isGuardEntry(state: unknown): boolean {
  return typeof state === 'object' && state !== null && GUARD_STATE in state;
}

/** The link a click would follow inside this app, or undefined for new tabs, downloads, other sites and this page itself. */
function appLink(event: MouseEvent): string | undefined {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return undefined;
  const anchor = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!(anchor instanceof HTMLAnchorElement) || anchor.hasAttribute('download') || (anchor.target && anchor.target !== '_self')) return undefined;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return undefined;
  if (url.pathname === window.location.pathname && url.search === window.location.search) return undefined;
  return url.pathname + url.search + url.hash;
}

export function LeaveGuard(props: {
  /** There are changes the server does not have. */
  dirty: boolean;
  /** Why they cannot be saved now (a flow without a name, say), or null when saving would work. */
  blocker: string | null;
  save: () => Promise<boolean>;
}) {
  const { dirty, blocker, save } = props;
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const [leaving, setLeaving] = useState<Leaving | null>(null);
  const [saveFailed, setSaveFailed] = useState(false);
  const state = useRef({ dirty, onGuardEntry: false, leaving: false });
  state.current.dirty = dirty;

  // Standing on the guard's entry, once there is something to lose (or already, coming Back to it).
  useEffect(() => {
    if (isGuardEntry(window.history.state)) state.current.onGuardEntry = true;
    if (dirty && !state.current.onGuardEntry) {
      window.history.pushState({ [GUARD_STATE]: true }, '', window.location.href);
      state.current.onGuardEntry = true;
    }
  }, [dirty]);

  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!state.current.dirty || state.current.leaving) return;
      e.preventDefault();
      // Older browsers show their prompt only when returnValue is set.
      e.returnValue = '';
    };
    const onClick = (e: MouseEvent) => {
      if (!state.current.dirty || state.current.leaving) return;
      const href = appLink(e);
      if (!href) return;
      // Before Next's <Link> sees it: this listener is on window, in the capture phase.
      e.preventDefault();
      e.stopPropagation();
      setLeaving({ kind: 'link', href });
    };
    const onPopState = (e: PopStateEvent) => {
      if (!state.current.onGuardEntry || isGuardEntry(e.state) || state.current.leaving) return;
      // Back from the guard's entry: still on this page.
      state.current.onGuardEntry = false;
      if (state.current.dirty) setLeaving({ kind: 'back' });
      else window.history.back();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener('click', onClick, true);
    window.addEventListener('popstate', onPopState, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      window.removeEventListener('click', onClick, true);
      window.removeEventListener('popstate', onPopState, true);
    };
  }, []);

  useEffect(() => {
    if (leaving && !dialog.current?.open) dialog.current?.showModal();
    if (!leaving && dialog.current?.open) dialog.current.close();
  }, [leaving]);

  function go(to: Leaving) {
    state.current.leaving = true;
    setLeaving(null);
    if (to.kind === 'back') window.history.back();
    else router.push(to.href);
  }

  function stay() {
    if (leaving?.kind === 'back') {
      window.history.pushState({ [GUARD_STATE]: true }, '', window.location.href);
      state.current.onGuardEntry = true;
    }
    setSaveFailed(false);
    setLeaving(null);
  }

  async function saveAndLeave() {
    if (!leaving) return;
    setSaveFailed(false);
    if (await save()) go(leaving);
    else setSaveFailed(true);
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="leave-guard-title"
      data-testid="leave-guard"
      onCancel={(e) => {
        e.preventDefault();
        stay();
      }}
    >
      <h2 id="leave-guard-title">Leave with unsaved changes?</h2>
      <p>{blocker ? `Your latest changes are not saved. ${blocker}` : 'Your latest changes are not saved yet.'}</p>
      {saveFailed && (
        <p className="field-error" role="alert">
          Saving did not work; the reason is shown above the canvas. Stay to fix it, or leave without saving.
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={stay} data-testid="leave-guard-stay">
          Stay
        </button>
        <button type="button" className="button danger" onClick={() => leaving && go(leaving)} data-testid="leave-guard-leave">
          Leave without saving
        </button>
        {!blocker && (
          <button type="button" className="button primary" onClick={saveAndLeave} data-testid="leave-guard-save">
            Save and leave
          </button>
        )}
      </div>
    </dialog>
  );
}
