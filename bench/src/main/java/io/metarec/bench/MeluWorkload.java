package io.metarec.bench;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.meta.LossKind;
import io.metarec.meta.Task;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FieldSpec;
import io.metarec.rec.model.MeluModel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The MeLU workload of ../shared/reference/RESULTS.md ("Workload definitions"), mirrored exactly:
 * tables rate 6, genre 25, director 2186, actor 8030, gender 2, age 7, occupation 21, zipcode
 * 3402 (dim 32, concatenated in that order: item fields then user fields), head 256-64-64-1;
 * a pool of 2 × metaBatch tasks, each one user with N support and 10 query rows; per row a rate
 * id, 2 distinct genre ids, 1 director id, 3 distinct actor ids, uniform, and a rating in 1..5;
 * the user's 4 ids drawn once per task. Meta-step i uses tasks [metaBatch·(i mod 2), …).
 */
public final class MeluWorkload {
    public static final List<FieldSpec> FIELDS = List.of(
            new FieldSpec("rate", FieldSpec.Side.ITEM, 6, false),
            new FieldSpec("genre", FieldSpec.Side.ITEM, 25, true),
            new FieldSpec("director", FieldSpec.Side.ITEM, 2186, true),
            new FieldSpec("actor", FieldSpec.Side.ITEM, 8030, true),
            new FieldSpec("gender", FieldSpec.Side.USER, 2, false),
            new FieldSpec("age", FieldSpec.Side.USER, 7, false),
            new FieldSpec("occupation", FieldSpec.Side.USER, 21, false),
            new FieldSpec("zipcode", FieldSpec.Side.USER, 3402, false));
    public static final int QUERY = 10;

    private MeluWorkload() {}

    public static MeluModel model() {
        return new MeluModel(FIELDS, LossKind.MSE);
    }

    /** 2 × metaBatch tasks with {@code support} support rows each (seed 0). */
    public static List<Task<Examples>> pool(int metaBatch, int support) {
        SplittableRandom r = new SplittableRandom(0);
        List<Task<Examples>> pool = new ArrayList<>();
        for (int t = 0; t < 2 * metaBatch; t++) {
            int[] user = user(r);
            pool.add(new Task<>(rows(r, support, user), rows(r, QUERY, user)));
        }
        return pool;
    }

    /** The meta-batch of step i. */
    public static List<Task<Examples>> batch(List<Task<Examples>> pool, long step) {
        int m = pool.size() / 2, b = (int) (step % 2);
        return pool.subList(m * b, m * b + m);
    }

    /** A user's four ids (gender, age, occupation, zipcode), uniform. */
    public static int[] user(SplittableRandom r) {
        return new int[] {r.nextInt(2), r.nextInt(7), r.nextInt(21), r.nextInt(3402)};
    }

    /** {@code n} items' features, one row each: rate, 2 genres, director, 3 actors (drawn as {@link #rows} does). */
    public static int[][] itemRows(SplittableRandom r, int n) {
        int[][] items = new int[n][7];
        for (int[] it : items) {
            it[0] = r.nextInt(6);
            distinct(r, 25, it, 1, 2);
            it[3] = r.nextInt(2186);
            distinct(r, 8030, it, 4, 3);
        }
        return items;
    }

    /** Rows pairing each of {@code items} with {@code user}, targets 0: a catalogue to score for that user. */
    public static Examples rowsOf(int[][] items, int[] user) {
        int n = items.length;
        int[] rate = new int[n], genre = new int[2 * n], director = new int[n], actor = new int[3 * n];
        for (int i = 0; i < n; i++) {
            rate[i] = items[i][0];
            genre[2 * i] = items[i][1];
            genre[2 * i + 1] = items[i][2];
            director[i] = items[i][3];
            System.arraycopy(items[i], 4, actor, 3 * i, 3);
        }
        return examples(rate, genre, director, actor, user, new float[n]);
    }

    /** {@code n} rows for one user: random items, ratings uniform in 1..5. */
    public static Examples rows(SplittableRandom r, int n, int[] user) {
        int[] rate = new int[n], genre = new int[2 * n], director = new int[n], actor = new int[3 * n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            rate[i] = r.nextInt(6);
            distinct(r, 25, genre, 2 * i, 2);
            director[i] = r.nextInt(2186);
            distinct(r, 8030, actor, 3 * i, 3);
            y[i] = 1 + r.nextInt(5);
        }
        return examples(rate, genre, director, actor, user, y);
    }

    private static Examples examples(int[] rate, int[] genre, int[] director, int[] actor, int[] user, float[] y) {
        int n = rate.length;
        int[] og = new int[n + 1], od = new int[n + 1], oa = new int[n + 1];
        for (int i = 0; i < n; i++) {
            og[i + 1] = 2 * (i + 1);
            od[i + 1] = i + 1;
            oa[i + 1] = 3 * (i + 1);
        }
        List<Examples.FieldIds> f = new ArrayList<>();
        f.add(new Examples.FieldIds(Indices.wrap(rate), null));
        f.add(new Examples.FieldIds(Indices.wrap(genre), Indices.wrap(og)));
        f.add(new Examples.FieldIds(Indices.wrap(director), Indices.wrap(od)));
        f.add(new Examples.FieldIds(Indices.wrap(actor), Indices.wrap(oa)));
        for (int k = 0; k < 4; k++) {
            int[] ids = new int[n];
            java.util.Arrays.fill(ids, user[k]);
            f.add(new Examples.FieldIds(Indices.wrap(ids), null));
        }
        return new Examples(f, Tensor.of(y, n, 1));
    }

    private static void distinct(SplittableRandom r, int vocab, int[] out, int at, int k) {
        for (int i = 0; i < k; i++) {
            int v;
            boolean dup;
            do {
                v = r.nextInt(vocab);
                dup = false;
                for (int j = 0; j < i; j++) dup |= out[at + j] == v;
            } while (dup);
            out[at + i] = v;
        }
    }
}
