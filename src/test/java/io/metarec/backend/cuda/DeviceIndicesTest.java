package io.metarec.backend.cuda;

import io.metarec.backend.Indices;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link DeviceIndices#groupByValue}, the scatter kernel's grouping, against a plain stable grouping
 * (a sorted map of value → positions in order) on random ids: few values and many (the blocked sort
 * and the single one), every length around the block boundaries, offset value ranges.
 */
class DeviceIndicesTest {
    @Test
    void groupingIsTheStableGroupingOfPositionsByValue() {
        SplittableRandom r = new SplittableRandom(7);
        for (int n = 1; n <= 40; n++)
            for (int range : new int[] {1, 2, 3, 7, 50}) check(random(r, n, range, r.nextInt(5)));
        for (int trial = 0; trial < 30; trial++) check(random(r, 1 + r.nextInt(5000), 1 + r.nextInt(trial < 15 ? 8 : 3000), r.nextInt(100)));
        check(new int[] {5, 5, 5, 5, 5, 5, 5, 5}); // one value
    }

    private static int[] random(SplittableRandom r, int n, int range, int lo) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = lo + r.nextInt(range);
        return v;
    }

    private static void check(int[] values) {
        TreeMap<Integer, List<Integer>> byValue = new TreeMap<>();
        for (int i = 0; i < values.length; i++) byValue.computeIfAbsent(values[i], k -> new ArrayList<>()).add(i);
        int[] dest = new int[byValue.size()], start = new int[byValue.size() + 1], order = new int[values.length];
        int g = 0, at = 0;
        for (var e : byValue.entrySet()) {
            dest[g] = e.getKey();
            for (int i : e.getValue()) order[at++] = i;
            start[++g] = at;
        }
        int[][] got = DeviceIndices.groupByValue(Indices.wrap(values));
        String what = values.length + " ids";
        assertArrayEquals(dest, got[0], what + ": destinations");
        assertArrayEquals(start, got[1], what + ": group starts");
        assertArrayEquals(order, got[2], what + ": positions");
    }
}
