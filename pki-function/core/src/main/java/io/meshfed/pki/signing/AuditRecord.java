package io.meshfed.pki.signing;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One issuance or rejection: who asked (cluster, event source), what (request id, CSR digest), what came of it
 * (serial, validity, the issued certificate, the signing CA's fingerprint) or why not (reasons). Holds public
 * material only.
 *
 * @param certChain for issuances, the chain returned to the cluster; replays return it unchanged
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditRecord(String time, Outcome outcome, String requestId, String cluster, String requester,
        String csrSha256, String serial, String notBefore, String notAfter, String signerSha256, String certChain,
        List<Rejection> reasons) {

    public enum Outcome {
        ISSUED, REJECTED
    }

    public AuditRecord {
        reasons = reasons == null ? null : List.copyOf(reasons);
    }
}
