package io.metarec.rec.model;

import io.metarec.meta.LossKind;
import io.metarec.meta.MetaModel;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link MetaModel#parameterCount()} is exactly what {@code init} allocates, for both models with
 * and without identities at several sizes: the model loader trusts it to refuse a configuration
 * that describes a larger model than the file holds, before allocating.
 */
class ParameterCountTest {
    static long allocated(MetaModel<?> m) {
        Params p = m.init(5);
        long n = 0;
        for (String name : p.names()) n += p.get(name).size();
        return n;
    }

    @Test
    void parameterCountIsWhatInitAllocates() {
        List<FieldSpec> fields = RecModelsTest.FIELDS;
        int checked = 0;
        for (int dim : new int[] {1, 4, 9})
            for (int[] hidden : new int[][] {{7}, {16, 8}, {5, 6, 3}})
                for (MeluModel.Identity id : new MeluModel.Identity[] {null, new MeluModel.Identity(13, 0), new MeluModel.Identity(30, 12)}) {
                    MetaModel<Examples> melu = new MeluModel(fields, dim, hidden, LossKind.MSE, 3.5f, id);
                    assertEquals(allocated(melu), melu.parameterCount(), "melu d=" + dim + " hidden=" + java.util.Arrays.toString(hidden) + " " + id);
                    MetaModel<Examples> metric = new MetricModel(fields, dim, hidden[0], LossKind.BCE_WITH_LOGITS, 0f, id);
                    assertEquals(allocated(metric), metric.parameterCount(), "metric d=" + dim + " space=" + hidden[0] + " " + id);
                    checked += 2;
                }
        assertEquals(54, checked);
    }
}
