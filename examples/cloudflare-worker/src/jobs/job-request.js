// Validation of POST /jobs bodies and job ids, before anything is stored or sent to Graph. Each check throws
// a WorkerError 400 `invalidArgument` that names the field, never its value.
//
//   { "source": { "mailboxId": "MBX:..." } | { "user": "adele@contoso.com" }, plus optional "folderId",
//     "target": { "mailboxId": "MBX:..." } | { "user": "megan@contoso.com" }, plus optional "parentFolderId",
//     "includeSubfolders": true, "receivedSince": "2026-01-01T00:00:00Z" }

import { WorkerError } from "../http.js";
import { checkId, invalid, isPlainObject, onlyKeys } from "../validate.js";

// ISO 8601 date-time in UTC or with an offset, as Graph's receivedDateTime filter takes it.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

/** One side of the job: exactly one of mailboxId or user, and its optional folder. */
function checkSide(side, where, folderKey) {
  if (!isPlainObject(side)) throw invalid(`${where} must be an object {mailboxId or user${folderKey ? `, ${folderKey}?` : ""}}.`);
  onlyKeys(side, ["mailboxId", "user", folderKey], where);
  const hasMailbox = side.mailboxId !== undefined;
  const hasUser = side.user !== undefined;
  if (hasMailbox === hasUser) throw invalid(`${where} needs exactly one of mailboxId or user.`);
  const out = {};
  if (hasMailbox) {
    checkId(side.mailboxId, `${where}.mailboxId`);
    if (side.mailboxId === "." || side.mailboxId === "..") throw invalid(`${where}.mailboxId cannot be "." or "..".`);
    out.mailboxId = side.mailboxId;
  } else {
    checkId(side.user, `${where}.user`);
    out.user = side.user;
  }
  if (side[folderKey] !== undefined) out[folderKey] = checkId(side[folderKey], `${where}.${folderKey}`);
  return out;
}

/**
 * POST /jobs: returns `{ source, target, options: { includeSubfolders, receivedSince? } }` with sources and
 * targets as given (users are resolved to mailbox ids by the route).
 */
export function checkJobRequest(body) {
  if (!isPlainObject(body)) {
    throw invalid("Send {source: {mailboxId | user, folderId?}, target: {mailboxId | user, parentFolderId?}, includeSubfolders?, receivedSince?} as JSON.");
  }
  onlyKeys(body, ["source", "target", "includeSubfolders", "receivedSince"], "The job");
  const source = checkSide(body.source, "source", "folderId");
  const target = checkSide(body.target, "target", "parentFolderId");
  const options = { includeSubfolders: true };
  if (body.includeSubfolders !== undefined) {
    if (typeof body.includeSubfolders !== "boolean") throw invalid("includeSubfolders must be true or false.");
    options.includeSubfolders = body.includeSubfolders;
  }
  if (body.receivedSince !== undefined) {
    if (typeof body.receivedSince !== "string" || !ISO_DATE_TIME.test(body.receivedSince) || Number.isNaN(Date.parse(body.receivedSince))) {
      throw invalid("receivedSince must be an ISO 8601 date and time, such as 2026-01-01T00:00:00Z.");
    }
    options.receivedSince = body.receivedSince;
  }
  return { source, target, options };
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A job id from the path: the UUID POST /jobs answered. Anything else cannot name a job: 404. */
export function jobIdFromPath(segment) {
  if (!JOB_ID.test(segment)) throw new WorkerError(404, "notFound", "No job has this id.");
  return segment;
}
