/** The pace's table (migrations 330 on), part of the app database's `Tables` (server/db/tables.ts). */

export interface PaceTables {
  /** Per-profile throttle state shared by every worker: see throttle.ts. */
  smtpThrottle: {
    profileId: string;
    tatUs: number;
    /** The slot the last reservation got (µs). */
    slotUs: number;
    day: string;
    dayCount: number;
    /** The effective rate learned from the server's answers (messages/s); null while none is known. */
    rate: number | null;
    decreaseAfterUs: number;
    increaseAfterUs: number;
    /** Messages the server accepted: in second accSec (epoch seconds), and in the second before it. */
    accSec: number;
    accCount: number;
    accPrev: number;
    /** Connections the server tolerates, learned from "too many connections"; null: the profile's own. */
    connLimit: number | null;
    connChangeAfterUs: number;
    /** Until when the schedule is still warming up after an idle second (its slots a little wider). */
    warmUntilUs: number;
    /** Throttle replies: in second thrSec, and in the second before it. */
    thrSec: number;
    thrCount: number;
    thrPrev: number;
    /** The share of throttle replies that prompted this slow-down episode's cut (0: not measured yet), and the learned rate before it (-1: no episode; -2: none was learned). */
    episodeShare: number;
    episodeFrom: number;
    /** Messages accepted and throttle replies since the episode's last cut (what its next decision goes by). */
    epAcc: number;
    epThr: number;
    /** Until when throttle replies are taken as the server shedding load whatever the pace: retried, no cut. */
    sheddingUntilUs: number;
    /** The server's window (server/smtp/pace-controller.ts): counted since windowSinceUs, windowAccepted accepted since, the last at lastAcceptedUs. */
    windowSinceUs: number;
    windowAccepted: number;
    lastAcceptedUs: number;
    /** When the last throttle reply came. */
    lastRefusedUs: number;
    /** What the learned window surely does not sustain (messages/s; 0: none known). */
    ceilingRate: number;
    /** When the back-off began. */
    pausedSinceUs: number;
    /** Throttle replies since the last accepted message, and what the window had accepted at the first (-1: none). */
    inRow: number;
    quota: number;
    /** The back-off (0: none): no send before pausedUntilUs. The server's window as learned. */
    backoffMs: number;
    pausedUntilUs: number;
    windowMs: number;
    slowdownAt: string | null;
    slowdownReply: string | null;
  };
}
