package dev.strata.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * The offsets this JVM gave a pool entry's fields: everything a borrow or a return writes lies
 * more than 128 bytes from either end of the entry, so no neighbouring object in the heap shares
 * a cache line, or a prefetched pair of lines, with it.
 */
class PoolEntryLayoutTest {

    private static final int GUARD_BYTES = 128;

    @Test
    void theWrittenFieldsKeep128BytesFromBothEndsOfTheEntry() {
        ClassLayout layout = ClassLayout.parseClass(PoolEntry.class);
        List<FieldLayout> written = layout.fields().stream()
                .filter(field -> field.classShortName().equals("Hot"))
                .toList();
        assertThat(written).extracting(FieldLayout::name).contains("state", "borrowed", "lastReturnedNanos",
                "lastVerifiedNanos", "lentWithoutWaiting");

        long first = written.stream().mapToLong(FieldLayout::offset).min().orElseThrow();
        long end = written.stream().mapToLong(field -> field.offset() + field.size()).max().orElseThrow();
        assertThat(first).as("bytes before the first written field\n%s", layout.toPrintable())
                .isGreaterThanOrEqualTo(GUARD_BYTES);
        assertThat(layout.instanceSize() - end).as("bytes after the last written field\n%s", layout.toPrintable())
                .isGreaterThanOrEqualTo(GUARD_BYTES);
    }

    @Test
    void noWrittenFieldFallsIntoTheGapAfterTheObjectHeader() {
        // The bug this layout fixes: the CAS'd state sat at offset 12, before the padding
        ClassLayout layout = ClassLayout.parseClass(PoolEntry.class);
        assertThat(layout.fields())
                .filteredOn(field -> field.offset() < GUARD_BYTES)
                .allSatisfy(field -> assertThat(field.classShortName()).isEqualTo("HeadPadding"));
    }
}
