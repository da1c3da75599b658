package io.meshfed.pki.signing;

import java.util.List;

/** Data of {@code io.meshfed.csr.rejected}: nothing was signed, and why. */
public record CsrRejected(String requestId, String cluster, List<Rejection> reasons) {

    public CsrRejected {
        reasons = List.copyOf(reasons);
    }
}
