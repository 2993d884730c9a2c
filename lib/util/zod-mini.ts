/**
 * zod's tree-shakable API (`zod/mini`: functions instead of methods, so a bundle keeps only the
 * validators it uses: about 40 KB minified where the classic API keeps all of its 190 KB), with
 * the English messages the classic API installs by itself and `zod/mini` leaves out. The schemas
 * on a deployed function's import path use it (`import * as z from "#lib/util/zod-mini"`: a
 * namespace import the bundler can still cut down); the sandboxes, the local runtime, syncctl and
 * the bench keep the classic API. Both are zod's one core: the same checks, the same issues, the
 * same messages.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

// The classic API sets English on its first schema unless a locale is already set: the same one.
config(en());

export * from "zod/mini";
