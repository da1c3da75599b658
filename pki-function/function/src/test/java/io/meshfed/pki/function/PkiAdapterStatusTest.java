package io.meshfed.pki.function;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CaStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the PKI reports on a cluster's status: a signed intermediate CA with its expiry; nothing for a rejection. */
class PkiAdapterStatusTest {
    static final String TD = "east.meshfed.example";

    record Reported(String cluster, Report report) {
    }

    private static CloudEvent submitted(String id, CsrSubmitted data) throws Exception {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("test/agent")).withType(EventTypes.CSR_SUBMITTED)
                .withDataContentType("application/json").withData(ModelJson.mapper().writeValueAsBytes(data)).build();
    }

    @Test
    void aSignedIntermediateIsReportedAndARejectionIsNot() throws Exception {
        TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
        List<Reported> reported = new ArrayList<>();
        PkiAdapter adapter = new PkiAdapter(pki.service, line -> { }, (cluster, report) -> {
            reported.add(new Reported(cluster, report));
            return true;
        });
        CloudEvent reply = adapter.handle(submitted("1", TestPki.submitted("east",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD), "req-1"))).orElseThrow();
        CsrSigned signed = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrSigned.class);
        // a CSR for another trust domain is refused: nothing reported
        adapter.handle(submitted("2", TestPki.submitted("east",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), "west.meshfed.example"), "req-2")));

        assertEquals(List.of(new Reported("east", new Report(List.of(new Condition(ClusterStatusWriter.CA_ISSUED,
                ConditionStatus.TRUE, "Signed", "intermediate CA serial " + signed.serial() + ", valid until "
                        + signed.notAfter())), List.of(), Optional.empty(),
                Optional.of(new CaStatus(Instant.parse(signed.notAfter()), signed.serial()))))), reported);
    }

    @Test
    void aFailedStatusWriteLeavesTheAnswerAsItWas() throws Exception {
        TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
        PkiAdapter adapter = new PkiAdapter(pki.service, line -> { }, (cluster, report) -> {
            throw new IllegalStateException("403 Forbidden");
        });
        CloudEvent reply = adapter.handle(submitted("1", TestPki.submitted("east",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD), "req-1"))).orElseThrow();
        assertEquals(EventTypes.CSR_SIGNED, reply.getType());
    }
}
