package io.meshfed.local;

import io.meshfed.export.CatalogSync;
import io.meshfed.export.ExportAdapter;
import io.meshfed.pki.function.PkiAdapter;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.registration.ClusterRegistry;
import io.meshfed.registration.RegistrationAdapter;
import io.meshfed.xds.app.BridgeAdapter;
import io.meshfed.xds.app.CatalogFeed;
import java.util.function.Consumer;

/**
 * The four Knative Services of meshfed as local {@link Subscriber}s, one per service name the Triggers subscribe.
 * Each is the deployed function's own adapter ({@code RegistrationAdapter}, {@code ExportAdapter},
 * {@code PkiAdapter}, {@code BridgeAdapter}), the class its Funqy shim calls: local mode has no copy of any adapter,
 * so it reads, checks and answers every event as the deployed function does.
 */
final class Functions {
    private Functions() {
    }

    static final String REGISTRATION = "meshfed-registration";
    static final String EXPORT = "meshfed-export";
    static final String PKI = "meshfed-pki";
    static final String XDS_BRIDGE = "meshfed-xds-bridge";

    static Subscriber registration(ClusterRegistry registry, Consumer<String> progress) {
        return new RegistrationAdapter(registry, progress)::handle;
    }

    static Subscriber export(CatalogSync sync, Consumer<String> progress) {
        return new ExportAdapter(sync, progress)::handle;
    }

    static Subscriber pki(CsrSigningService service, Consumer<String> progress) {
        return new PkiAdapter(service, progress)::handle;
    }

    static Subscriber xdsBridge(CatalogFeed feed) {
        return new BridgeAdapter(feed)::handle;
    }
}
