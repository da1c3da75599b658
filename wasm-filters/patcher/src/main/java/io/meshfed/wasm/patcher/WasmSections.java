package io.meshfed.wasm.patcher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Wasm binary split into its sections, payloads kept as raw bytes. Immutable once parsed. */
final class WasmSections {
    static final int CUSTOM = 0;
    static final int TYPE = 1;
    static final int IMPORT = 2;
    static final int FUNCTION = 3;
    static final int EXPORT = 7;
    static final int START = 8;
    static final int ELEMENT = 9;
    static final int CODE = 10;

    private static final byte[] HEADER = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

    record Section(int id, byte[] payload) {}

    record Import(String module, String name, int kind, int typeIndex) {
        static final int FUNC = 0;

        String qualifiedName() {
            return module + "." + name;
        }
    }

    record Export(String name, int kind, int index) {}

    private final List<Section> sections;

    private WasmSections(List<Section> sections) {
        this.sections = List.copyOf(sections);
    }

    static WasmSections parse(byte[] module) {
        if (module.length < 8 || !Arrays.equals(Arrays.copyOf(module, 8), HEADER)) {
            throw new MalformedModuleException("not a Wasm 1.0 binary (bad magic or version)");
        }
        ByteReader in = new ByteReader(module, 8, module.length - 8);
        List<Section> out = new ArrayList<>();
        while (in.hasMore()) {
            int id = in.u8();
            int size = in.u32();
            out.add(new Section(id, in.bytes(size)));
        }
        return new WasmSections(out);
    }

    List<Section> sections() {
        return sections;
    }

    byte[] payload(int id) {
        for (Section s : sections) {
            if (s.id() == id) {
                return s.payload();
            }
        }
        return null;
    }

    List<Import> imports() {
        byte[] p = payload(IMPORT);
        List<Import> out = new ArrayList<>();
        if (p == null) {
            return out;
        }
        ByteReader in = new ByteReader(p);
        int count = in.u32();
        for (int i = 0; i < count; i++) {
            String module = in.name();
            String name = in.name();
            int kind = in.u8();
            int typeIndex = -1;
            switch (kind) {
                case 0 -> typeIndex = in.u32();
                case 1 -> { // table: reftype + limits
                    in.u8();
                    skipLimits(in);
                }
                case 2 -> skipLimits(in);
                case 3 -> { // global: valtype + mutability
                    in.u8();
                    in.u8();
                }
                default -> throw new MalformedModuleException("unknown import kind " + kind + " for " + module + "." + name);
            }
            out.add(new Import(module, name, kind, typeIndex));
        }
        return out;
    }

    List<Export> exports() {
        byte[] p = payload(EXPORT);
        List<Export> out = new ArrayList<>();
        if (p == null) {
            return out;
        }
        ByteReader in = new ByteReader(p);
        int count = in.u32();
        for (int i = 0; i < count; i++) {
            out.add(new Export(in.name(), in.u8(), in.u32()));
        }
        return out;
    }

    static void skipLimits(ByteReader in) {
        int flags = in.u8();
        in.u32();
        if ((flags & 1) != 0) {
            in.u32();
        }
    }

    static byte[] assemble(List<Section> sections) {
        ByteWriter out = new ByteWriter().bytes(HEADER);
        for (Section s : sections) {
            out.u8(s.id()).sized(s.payload());
        }
        return out.toByteArray();
    }
}
