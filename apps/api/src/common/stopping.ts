/**
 * Whether this process's stop has reached its timeout and is cutting the requests still running
 * (app.factory). Their connections close just as when a caller hangs up; this tells the two
 * apart, so such a request is recorded as cut by the server, not abandoned by its caller.
 */
let cutting = false;

export function startCuttingRequests(): void {
  cutting = true;
}

export function requestsAreBeingCut(): boolean {
  return cutting;
}
