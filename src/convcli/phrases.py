"""Every phrase of the ``explain`` walkthrough, one table per language.

A language is one dictionary: the keys are the same in each, the values are format
strings. ``phrase(lang, key, **values)`` fills one in. Terms follow the course notes
(输入图像, 卷积核, 特征图, 步长, 填充, 计算过程, VALID/SAME).

>>> phrase("zh", "step", n=2, total=9)
'第2步（共9步）'
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

EN = {
    "title": "{op}, step by step",
    "op_conv": "Convolution",
    "op_dilate": "Dilated convolution",
    "op_transpose": "Transposed convolution",
    "op_pool": "{kind} pooling",
    "step": "Step {n} of {total}",
    "player_keys": "step {n}/{total} · ←/→ move · q quit",
    "player_jump": "go to step {digits}_ · Enter",
    "player_scroll": "↑/↓ scroll",
    "player_cut": "… rows left out to fit the terminal; a taller one shows them all",
    "input": "input",
    "input_channel": "input channel {c}",
    "padded_input": "padded input",
    "padded_input_channel": "padded input, channel {c}",
    "kernel": "kernel",
    "kernel_slice": "kernel {o}, channel {c}",
    "dilated_kernel": "dilated kernel",
    "feature_map": "feature map",
    "feature_map_channel": "feature map {o}",
    "output": "output",
    "window": "window",
    "bias": "bias",
    "ch": "ch",
    "kernel_title": "Define the kernel",
    "kernel_text": (
        "The kernel is a {size} matrix of weights. It slides over the input; at each "
        "position the cells it covers are multiplied by its weights and added up, which "
        "gives one cell of the feature map."
    ),
    "kernel_text_transpose": (
        "The kernel is a {size} matrix of weights. In a transposed convolution each input cell "
        "multiplies the whole kernel, and these scaled copies are added into the output, "
        "{stride} apart: the output grows instead of shrinking."
    ),
    "align_transpose": "Place one scaled kernel per input cell, {stride} apart, then crop the padding:",
    "kernel_channels": (
        "It has {c} channels, one {kh}×{kw} slice per input channel: each slice works on its "
        "own channel and the channel results are added."
    ),
    "kernel_outputs": "There are {o} kernels; each one makes its own output channel.",
    "kernel_groups": "With {g} groups, each kernel reads only the {per} input channels of its group.",
    "kernel_flip": "--flip rotates the kernel by 180° first: true convolution instead of cross-correlation.",
    "kernel_bias": "After the sum, the bias {b} is added.",
    "dilation_text": (
        "Dilation {d}: the taps are spread {d} cells apart, with holes between them, so the "
        "kernel spans {span} cells while it still has {taps} weights."
    ),
    "window_text": (
        "The pooling window is {size}; at each position it takes the {what} of the cells it covers."
    ),
    "kind_max": "Max",
    "kind_avg": "Average",
    "kind_min": "Min",
    "what_max": "maximum",
    "what_min": "minimum",
    "what_avg": "average",
    "align_title": "Align the kernel: padding and size",
    "align_window_title": "Place the window: padding and size",
    "list_sep": ", ",
    "align_pad": (
        "Padding ({mode}) adds {top} on top, {bottom} at the bottom, {left} on the left "
        "and {right} on the right; padding cells are shown dim (marked ₚ without colour)."
    ),
    "align_same": "SAME padding: just enough padding that the output has ⌈input / stride⌉ cells per axis.",
    "align_valid": "No padding (VALID): the kernel stays inside the input.",
    "align_start": "The kernel starts at the top-left corner and moves {sw} right at a time, then {sh} down.",
    "size_text": "Output size per axis:",
    "cell_title": "Multiply and add: {name}",
    "cell_text": "The highlighted window is multiplied by the kernel, cell by cell, and added up:",
    "cell_channels": "Each channel's window is multiplied by that channel's kernel slice; the partial sums are added:",
    "pool_cell_title": "Pool: {name}",
    "pool_cell_text": "The highlighted window gives its {what}:",
    "scatter_title": "Scatter: {name}",
    "scatter_text": "Input cell {name} = {value} multiplies the whole kernel; the products are added into the output at rows {rows}, columns {cols}.",
    "scatter_outside": "Products that fall outside the output (in the cropped padding) are dropped.",
    "direct_title": "The same thing as an ordinary convolution",
    "direct_text": (
        "Insert {gap} between input cells, pad by d·(k−1)−p = {pads} "
        "(top, bottom, left, right; output padding included), rotate the kernel by 180° and "
        "convolve with stride 1: the result is the same."
    ),
    "result_title": "The result",
    "summary_size": "A {input} input with a {kernel} kernel, stride {stride} and padding {padding} gives a {output} {target}.",
    "summary_padding_kept": "The padding keeps the size: without it the output would be {valid}.",
    "summary_padding_grew": "Without padding the output would be {valid}: the padding lets the kernel reach the border cells.",
    "summary_no_padding": "Without padding, the output shrinks by the kernel span minus one: {shrink}.",
    "summary_stride": "Stride {stride}: the kernel moves {stride} cells at a time, so the size is divided by about {stride}.",
    "summary_unread": "Not exact: {what} of the padded input {verb} never read, because the stride does not divide evenly.",
    "summary_transpose": "A transposed convolution spreads each input cell over a kernel-sized patch of the output: with stride {stride} it grows the size from {input} to {output}.",
    "summary_channels": "The {c} input channels were summed into each output channel.",
    "summary_pool": "Pooling with a {window} window and stride {stride} turns {input} into {output}; it has no weights.",
    "so_far": "{name} so far",
    "new_cell": "the new cell is highlighted",
    "unread_rows": "the last {n}",
    "unread_cols": "the last {n}",
    "verb_is": "is",
    "verb_are": "are",
    "more_cells": "… {n} more cells; pick them with --cell R,C or show all with --all",
    "window_title": "Define the window",
    "arithmetic": "arithmetic",
    "pad_legend": "({mark} marks a padding cell)",
    "channel": "channel",
    "value": "value",
    "stride": "stride",
    "padding": "padding",
    "dilation": "dilation",
    "groups": "groups",
    "output_padding": "output padding",
    "flipped": "flipped kernel (true convolution)",
    "pooled": "pooled",
    "windows": "windows",
    "ceil_mode": "ceil mode",
    "pad_not_counted": "padding not counted",
    "pool_max": "max pooling",
    "pool_avg": "avg pooling",
    "pool_min": "min pooling",
    "stretched_input": "stretched input",
    "scatter_view": "scatter view: each input cell times the kernel, added into the output",
    "scatter_line": "{name} = {value}: {times}·kernel added at rows {rows}, columns {cols}",
    "step_of": "step {d}",
    "more_input_cells": "{n} more input cells",
    "matrix_view": "matrix view: the forward convolution is vec(y) = C·vec(x) with C below ({size}, rows and columns in row-major order); the transposed convolution is vec(out) = Cᵀ·vec(input)",
    "matrix_too_big": "matrix view: only for one channel and at most {n} cells per side",
    "dilate_heading": "dilation {d}: effective size d·(k−1)+1 per axis",
    "dilate_field": "one layer sees a {size} receptive field through {taps} taps",
    "explained_some": "explained {n} of {total} cells; pick others with --cell R,C or see them all with --all",
    "unread_note": "the stride does not divide evenly: {what} of the padded input {verb} never read",
    "unread_one": "the last {noun} (index {first})",
    "unread_many": "the last {n} (indices {first} to {last})",
    "and": " and ",
    "axis_h": "height",
    "axis_w": "width",
    "shape_head": "input {size}  {what} {k}",
    "shape_output": "output {size}",
    "shape_unread": "{name}: {num} / {s} is not whole (remainder {r}): {cells} of the padded input {verb} never read",
    "row_at": "row {i}",
    "rows_at": "rows {i}–{j}",
    "column_at": "column {i}",
    "columns_at": "columns {i}–{j}",
    "target_line": "{name} {target}: padding before,after = {options}",
    "target_out_pad": " (output padding {op})",
    "target_inputs": "with {b},{a}, every input {name} from {lo} to {hi} gives {target}",
    "pytorch_takes": "ConvTranspose2d takes the padding as it is (the same before and after)",
    "pytorch_column": "PyTorch: whether ConvTranspose2d takes the padding as it is (the same before and after).",
    "no_pytorch": "{name}: no padding listed is the same before and after, which PyTorch's ConvTranspose2d needs (crop the output by hand)",
    "use": "use: {use}",
    "use_md": "Use: `{use}`",
    "hdr_axis": "axis",
    "hdr_target": "target",
    "hdr_before": "padding before",
    "hdr_after": "padding after",
    "yes": "yes",
    "no": "no",
    "sentence": "{text}.",
    "direct_view": "direct view: the same thing as an ordinary convolution",
    "dilate_sizes": "height {dh}·({kh}−1)+1 = {eh}, width {dw}·({kw}−1)+1 = {ew}",
    "csv_no_steps": "csv holds only the result; use --format table, markdown or json to see the arithmetic of the cells asked for",
    "nonfinite": "{n} output {cells} overflowed float64 (inf or nan); write the inputs as integers or fractions to stay exact",
    "showing": "showing rows {r0}–{r1} of {rows} and columns {c0}–{c1} of {cols}; use {formats} for all of it",
    "or": " or ",
    "columns_part": "(columns {first}–{last})",
    "column_part": "(column {first})",
}

ZH = {
    "title": "{op}：逐步讲解",
    "op_conv": "卷积",
    "op_dilate": "空洞卷积",
    "op_transpose": "转置卷积",
    "op_pool": "{kind}池化",
    "step": "第{n}步（共{total}步）",
    "player_keys": "第{n}/{total}步 · ←/→ 翻页 · q 退出",
    "player_jump": "跳到第{digits}_步 · 回车",
    "player_scroll": "↑/↓ 滚动",
    "player_cut": "…… 终端太矮，省略了部分行；终端更高时可看到全部",
    "input": "输入图像",
    "input_channel": "输入图像 通道{c}",
    "padded_input": "填充后的输入图像",
    "padded_input_channel": "填充后的输入图像 通道{c}",
    "kernel": "卷积核",
    "kernel_slice": "卷积核{o}通道{c}",
    "dilated_kernel": "空洞卷积核",
    "feature_map": "特征图",
    "feature_map_channel": "特征图{o}",
    "output": "输出",
    "window": "窗口",
    "bias": "偏置",
    "ch": "通道",
    "kernel_title": "定义卷积核",
    "kernel_text": (
        "卷积核是一个{size}的权重矩阵。它在输入图像上滑动；在每个位置，把覆盖的格子与权重"
        "逐个相乘再求和，得到特征图的一个格子。"
    ),
    "kernel_text_transpose": (
        "卷积核是一个{size}的权重矩阵。转置卷积中，每个输入格子乘以整个卷积核，这些缩放后的卷积核"
        "相隔{stride}加到输出上：输出变大而不是变小。"
    ),
    "align_transpose": "每个输入格子放一个缩放后的卷积核，相隔{stride}，然后裁掉填充：",
    "kernel_channels": "它有{c}个通道，每个输入通道一片{kh}×{kw}的卷积核：各通道分别计算，再把结果相加。",
    "kernel_outputs": "共有{o}个卷积核，每个卷积核生成一个输出通道。",
    "kernel_groups": "分成{g}组时，每个卷积核只读取本组的{per}个输入通道。",
    "kernel_flip": "--flip 先把卷积核旋转 180°：真正的卷积，而不是互相关。",
    "kernel_bias": "求和之后再加上偏置{b}。",
    "dilation_text": "空洞率{d}：卷积核的格子之间相隔{d}格，中间是空洞，所以卷积核覆盖{span}格，权重仍是{taps}个。",
    "window_text": "池化窗口是{size}；在每个位置取所覆盖格子的{what}。",
    "kind_max": "最大",
    "kind_avg": "平均",
    "kind_min": "最小",
    "what_max": "最大值",
    "what_min": "最小值",
    "what_avg": "平均值",
    "align_title": "对齐卷积核：填充与尺寸",
    "align_window_title": "放置池化窗口：填充与尺寸",
    "list_sep": "，",
    "align_pad": "填充（{mode}）在上方加{top}，下方{bottom}，左侧{left}，右侧{right}；填充的格子显示为暗色。",
    "align_same": "SAME 填充：填充得刚好使输出每个方向有 ⌈输入 / 步长⌉ 个格子。",
    "align_valid": "不填充（VALID）：卷积核始终在输入图像内部。",
    "align_start": "卷积核从左上角开始，每次向右移动{sw}，一行走完后向下移动{sh}。",
    "size_text": "每个方向的输出尺寸：",
    "cell_title": "相乘再相加：{name}",
    "cell_text": "高亮的窗口与卷积核逐格相乘，再求和（计算过程）：",
    "cell_channels": "每个通道的窗口与该通道的卷积核相乘；各通道的部分和再相加（计算过程）：",
    "pool_cell_title": "池化：{name}",
    "pool_cell_text": "高亮的窗口取{what}：",
    "scatter_title": "分散相加：{name}",
    "scatter_text": "输入格子{name} = {value}乘以整个卷积核，乘积加到输出的第{rows}行、第{cols}列。",
    "scatter_outside": "落在输出之外（被裁掉的填充区）的乘积被丢弃。",
    "direct_title": "等价的普通卷积",
    "direct_text": (
        "在输入格子之间插入{gap}，按 d·(k−1)−p = {pads}填充（上、下、左、右，含输出填充），"
        "把卷积核旋转 180°，以步长 1 做普通卷积：结果相同。"
    ),
    "result_title": "结果",
    "summary_size": "{input}的输入图像，{kernel}的卷积核，步长{stride}，填充{padding}，得到{output}的{target}。",
    "summary_padding_kept": "填充保持了尺寸：不填充时输出是{valid}。",
    "summary_padding_grew": "不填充时输出是{valid}：填充让卷积核能够覆盖边缘的格子。",
    "summary_no_padding": "不填充时，输出每个方向缩小卷积核跨度减一：{shrink}。",
    "summary_stride": "步长{stride}每隔{stride}个位置计算一次，所以尺寸大约缩小为 1/{stride}。",
    "summary_unread": "不能整除：填充后输入图像的{what}没有被读取，因为步长不能整除。",
    "summary_transpose": "转置卷积把每个输入格子分散到输出中一块卷积核大小的区域：步长{stride}时尺寸从{input}增大到{output}。",
    "summary_channels": "{c}个输入通道在每个输出通道中相加。",
    "summary_pool": "用{window}的窗口、步长{stride}做池化，{input}变成{output}；池化没有权重。",
    "so_far": "目前的{name}",
    "new_cell": "新算出的格子高亮显示",
    "unread_rows": "最后{n}",
    "unread_cols": "最后{n}",
    "verb_is": "",
    "verb_are": "",
    "more_cells": "… 还有{n}个格子；用 --cell R,C 选择，或用 --all 全部显示",
    "window_title": "定义池化窗口",
    "arithmetic": "计算过程",
    "pad_legend": "（{mark} 表示填充的格子）",
    "channel": "通道",
    "value": "值",
    "stride": "步长",
    "padding": "填充",
    "dilation": "空洞率",
    "groups": "分组",
    "output_padding": "输出填充",
    "flipped": "翻转的卷积核（真正的卷积）",
    "pooled": "池化结果",
    "windows": "窗口",
    "ceil_mode": "向上取整",
    "pad_not_counted": "不计填充",
    "pool_max": "最大池化",
    "pool_avg": "平均池化",
    "pool_min": "最小池化",
    "stretched_input": "插零后的输入图像",
    "scatter_view": "分散视图：每个输入格子乘以卷积核，加到输出上",
    "scatter_line": "{name} = {value}：{times}·卷积核加到第{rows}行、第{cols}列",
    "step_of": "间隔{d}",
    "more_input_cells": "还有{n}个输入格子",
    "matrix_view": "矩阵视图：正向卷积是 vec(y) = C·vec(x)，C 如下（{size}，行和列按行优先顺序）；转置卷积是 vec(out) = Cᵀ·vec(input)",
    "matrix_too_big": "矩阵视图：只适用于单通道且每边最多{n}个格子",
    "dilate_heading": "空洞率{d}：每个方向的有效尺寸为 d·（k−1）+1",
    "dilate_field": "一层通过{taps}个权重看到{size}的感受野",
    "explained_some": "讲解了{total}个格子中的{n}个；用 --cell R,C 选择其他格子，或用 --all 全部显示",
    "unread_note": "步长不能整除：填充后输入图像的{what}没有被读取",
    "unread_one": "最后一{noun}（下标{first}）",
    "unread_many": "最后{n}（下标{first}到{last}）",
    "and": "和",
    "axis_h": "高",
    "axis_w": "宽",
    "shape_head": "输入图像 {size}  {what} {k}",
    "shape_output": "输出 {size}",
    "shape_unread": "{name}：{num} / {s} 不能整除（余{r}）：填充后输入图像的{cells}没有被读取",
    "row_at": "第{i}行",
    "rows_at": "第{i}–{j}行",
    "column_at": "第{i}列",
    "columns_at": "第{i}–{j}列",
    "target_line": "{name} {target}：前后填充 = {options}",
    "target_out_pad": "（输出填充 {op}）",
    "target_inputs": "填充 {b},{a} 时，输入{name}从{lo}到{hi}都得到{target}",
    "pytorch_takes": "ConvTranspose2d 可以直接使用该填充（前后相同）",
    "pytorch_column": "PyTorch：ConvTranspose2d 能否直接使用该填充（前后相同）。",
    "no_pytorch": "{name}：列出的填充没有前后相同的，而 PyTorch 的 ConvTranspose2d 需要这样（请手动裁剪输出）",
    "use": "用法：{use}",
    "use_md": "用法：`{use}`",
    "hdr_axis": "方向",
    "hdr_target": "目标",
    "hdr_before": "前填充",
    "hdr_after": "后填充",
    "yes": "是",
    "no": "否",
    "sentence": "{text}。",
    "direct_view": "直接视图：等价的普通卷积",
    "dilate_sizes": "高 {dh}·({kh}−1)+1 = {eh}，宽 {dw}·({kw}−1)+1 = {ew}",
    "csv_no_steps": "csv 只含结果；用 --format table、markdown 或 json 查看所选格子的计算过程",
    "nonfinite": "{n}个输出格子超出了 float64 的范围（inf 或 nan）；把输入写成整数或分数可保持精确",
    "showing": "显示第{r0}–{r1}行（共{rows}行）和第{c0}–{c1}列（共{cols}列）；用 {formats} 得到全部",
    "or": " 或 ",
    "columns_part": "（第{first}–{last}列）",
    "column_part": "（第{first}列）",
}

TABLES = {"en": EN, "zh": ZH}


def count(lang: str, n: object, noun: str) -> str:
    """A number with its noun: "1 row", "2 columns" (en), "2行" (zh); ``n`` may be "2,1".

    >>> count("en", 1, "row"), count("en", 3, "zero"), count("zh", 2, "column")
    ('1 row', '3 zeros', '2列')
    """
    if lang == "zh":
        return f"{n}{ZH_NOUNS[noun]}"
    return f"{n} {noun}" if str(n) == "1" else f"{n} {noun}s"


ZH_NOUNS = {"row": "行", "column": "列", "cell": "格", "zero": "个零"}


def phrase(lang: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``lang`` with ``values`` filled in."""
    return TABLES[lang][key].format(**values)
