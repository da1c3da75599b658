package io.meshfed.pki.agent;

import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import java.util.ArrayList;
import java.util.List;

/**
 * The real signing service called in-process, with switches to simulate a management plane that is down or
 * whose replies get lost after it signed. Records every request id and token it was sent, in order.
 */
final class InProcessCsrClient implements CsrClient {
    private final CsrSigningService service;
    final List<String> requestIds = new ArrayList<>();
    /** The token each request carried, in order. */
    final List<String> tokens = new ArrayList<>();
    boolean down;
    boolean loseReplies;

    InProcessCsrClient(CsrSigningService service) {
        this.service = service;
    }

    @Override
    public SigningOutcome submit(CsrSubmitted request) {
        requestIds.add(request.requestId());
        tokens.add(request.token());
        if (down) {
            throw new ManagementPlaneUnavailableException("connection refused (simulated)", null);
        }
        SigningOutcome outcome = service.handle(request, "meshfed/csr-agent/" + request.cluster());
        if (loseReplies) {
            throw new ManagementPlaneUnavailableException("reply lost (simulated)", null);
        }
        return outcome;
    }
}
