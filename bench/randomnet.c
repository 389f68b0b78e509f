/* Writes a KataGo model file with random weights in the layout of a real network, for speed
 * comparisons at sizes the shared test networks do not cover:
 *
 *     ./bench/randomnet -layout b18c384nbt -o b18c384nbt-random.bin.gz [-seed N]
 *
 * b18c384nbt follows KataGo's published b18c384nbt layout: 384 trunk channels, 18 nested bottleneck
 * blocks of two 192-channel inner residual blocks each (the second one a global-pooling block in
 * every third outer block), mish activations, policy 64/64 and value 96/128 head widths. The
 * weights are random (scaled so activations stay of order one), so only speed means anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn/model_writer.h"

#define B18_BLOCKS 18

int main(int argc, char **argv) {
    const char *layout = NULL, *out = NULL;
    unsigned long long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-layout") == 0)
            layout = argv[i + 1];
        else if (strcmp(argv[i], "-o") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "-seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (!layout || !out || strcmp(layout, "b18c384nbt") != 0) {
        fprintf(stderr, "usage: %s -layout b18c384nbt -o FILE.bin.gz [-seed N]\n", argv[0]);
        return 2;
    }
    static const tg_model_spec_block plain[2] = {{.kind = TG_BLOCK_ORDINARY}, {.kind = TG_BLOCK_ORDINARY}};
    static const tg_model_spec_block pooled[2] = {{.kind = TG_BLOCK_ORDINARY},
                                                  {.kind = TG_BLOCK_GPOOL, .gpool_channels = 64}};
    tg_model_spec_block blocks[B18_BLOCKS];
    for (int b = 0; b < B18_BLOCKS; b++)
        blocks[b] = (tg_model_spec_block){.kind = TG_BLOCK_NESTED_BOTTLENECK,
                                          .inner_channels = 192,
                                          .num_inner = 2,
                                          .inner = b % 3 == 2 ? pooled : plain};
    const tg_model_spec spec = {.name = "b18c384nbt-random",
                                .version = 14,
                                .trunk_channels = 384,
                                .num_blocks = B18_BLOCKS,
                                .blocks = blocks,
                                .activation = TG_ACT_MISH,
                                .initial_kernel = 5,
                                .head_channels = 64,
                                .value_hidden = 128};
    char err[512];
    if (!tg_model_write_random(out, &spec, seed, err, sizeof err)) {
        fprintf(stderr, "randomnet: %s\n", err);
        return 1;
    }
    return 0;
}
