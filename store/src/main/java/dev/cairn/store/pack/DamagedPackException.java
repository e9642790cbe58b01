package dev.cairn.store.pack;

/**
 * A pack is damaged rather than left unsealed by a crash, so {@link PackStore#recover} refused to
 * cut or seal it and left the file exactly as it was. The message says what was found; the pack's
 * intact records are still readable ({@link PackStore#salvage} lists them).
 */
public class DamagedPackException extends CorruptPackException {
    private static final long serialVersionUID = 1L;

    public DamagedPackException(PackId pack, long offset, String detail) {
        super(pack, offset, detail);
    }
}
