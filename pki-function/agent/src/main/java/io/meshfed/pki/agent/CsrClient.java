package io.meshfed.pki.agent;

import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;

/** How the agent reaches the PKI function. */
public interface CsrClient {

    /**
     * Sends {@code csr.submitted} and returns the function's reply. Safe to repeat with the same request: the
     * function answers a replay with the certificate it issued before.
     *
     * @throws ManagementPlaneUnavailableException when no reply came back (network, timeout, 5xx, no event)
     */
    SigningOutcome submit(CsrSubmitted request);
}
