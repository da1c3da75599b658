package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.RejectionReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode hosts the same signing path as Knative: a csr.submitted through the broker is signed only for the token
 * the claimed cluster's API server vouches for (here fabric8's mock, which plays each example cluster's token issuer),
 * and a refused one leaves no audit record behind.
 */
class CsrAuthenticationInLocalModeTest {

    private static CsrRejected rejected(LocalBroker.Outcome outcome) throws Exception {
        CloudEvent reply = outcome.replies().get(0);
        assertEquals(EventTypes.CSR_REJECTED, reply.getType());
        return ModelJson.mapper().readValue(reply.getData().toBytes(), CsrRejected.class);
    }

    @Test
    void onlyTheClaimedClustersAgentTokenGetsAnIntermediate(@TempDir Path state) throws Exception {
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        try (LocalMesh mesh = LocalMeshRestartTest.start(state, progress)) {
            mesh.registerExamples();
            // Refused before the CSR is even parsed: who asks comes first.
            String csr = "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n";
            String westAgent = mesh.apiServer("west").agentToken();
            for (String token : java.util.Arrays.asList(null, westAgent)) {
                CsrRejected rejected = rejected(mesh.broker().publish(LocalMesh.event(EventTypes.CSR_SUBMITTED,
                        "east", new CsrSubmitted("east", csr, "local-1", null, token))));
                assertEquals(RejectionReason.UNAUTHENTICATED, rejected.reasons().get(0).reason(),
                        rejected.toString());
            }
            assertTrue(mesh.runAgent("east").isPresent(), "east's own agent, with east's token, is signed");
            assertFalse(progress.stream().anyMatch(l -> l.contains(westAgent)), "no token is ever printed");
        }
        try (var lines = Files.lines(state.resolve("pki/audit/audit.jsonl"))) {
            assertEquals(1, lines.count(), "one issuance; the refusals were not stored");
        }
        assertFalse(Files.exists(state.resolve("pki/audit/rejected/east")));
    }
}
