import { errorFromResponse, OtoApiError } from "./errors.js";

/** What every openapi-fetch call resolves to. */
export interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Turns an openapi-fetch result into its data, or throws the OtoError subclass for the status
 * (OtoAuthError for 401, OtoConflictError for 409, …). Works on any `oto.raw` call.
 * `server` only names the server in the error for a success answer that is not JSON.
 */
export async function unwrap<T>(pending: Promise<FetchResult<T>> | FetchResult<T>, server = "the server"): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await pending;
  } catch (error) {
    // openapi-fetch parses a 2xx body as JSON; an HTML page means something else answers there.
    if (!(error instanceof SyntaxError)) throw error;
    throw new OtoApiError({
      status: 0,
      code: "invalid_response",
      title: "Invalid response",
      detail: `${server} answered with something that is not JSON: is it an oTo server?`,
      cause: error,
    });
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw errorFromResponse(response, error);
  return data as T;
}
