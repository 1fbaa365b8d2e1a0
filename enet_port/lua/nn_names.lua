-- The names of torch/nn's own modules (its init.lua, 2017) and of those the cunn, nnx, dpnn and
-- rnn packages add to nn (rnn's and dpnn's from their init.lua, criteria included), for the
-- tracer's nn package (enet_port/lua/nn.lua): any other nn.X a model file neither defines nor
-- requires is nil, as in Torch7. Returns the set {name = true}.
local names = {}
for name in ([[Module Container Concat Parallel Sequential DepthConcat Decorator Bottle WeightNorm DontCast NaN
  Profile Linear LinearWeightNorm LinearNoBias Bilinear PartialLinear SparseLinear IndexLinear Reshape View Contiguous
  Select Narrow Index Squeeze Unsqueeze Replicate Transpose BatchNormalization Padding GradientReversal MaskedSelect
  Copy Min Max Mean Sum CMul Mul MulConstant CAdd Add AddConstant Constant Dropout SpatialDropout VolumetricDropout
  WhiteNoise OneHot PrintSize ZeroGrad Collapse Convert CAddTable CDivTable CMulTable CSubTable CMaxTable CMinTable
  CAddTensorTable Euclidean WeightedEuclidean PairwiseDistance CosineDistance DotProduct Normalize Cosine Kmeans Exp
  Log HardTanh Clamp LogSigmoid LogSoftMax Sigmoid SoftMax SoftMin SoftPlus SoftSign Tanh TanhShrink Abs Power Square
  Sqrt HardShrink SoftShrink Threshold Maxout ReLU ReLU6 PReLU CReLU LeakyReLU SpatialSoftMax SpatialLogSoftMax RReLU
  ELU GatedLinearUnit LookupTable SpatialConvolution SpatialConvolutionLocal SpatialFullConvolution
  SpatialFullConvolutionMap SpatialConvolutionMM SpatialConvolutionMap SpatialDilatedConvolution SpatialSubSampling
  SpatialMaxPooling SpatialDilatedMaxPooling SpatialMaxUnpooling SpatialFractionalMaxPooling SpatialLPPooling
  SpatialAveragePooling SpatialAdaptiveMaxPooling SpatialAdaptiveAveragePooling TemporalConvolution
  TemporalSubSampling TemporalMaxPooling TemporalDynamicKMaxPooling TemporalRowConvolution
  SpatialSubtractiveNormalization SpatialDivisiveNormalization SpatialContrastiveNormalization SpatialCrossMapLRN
  SpatialZeroPadding SpatialReflectionPadding SpatialReplicationPadding SpatialUpSamplingNearest
  SpatialUpSamplingBilinear SpatialBatchNormalization SpatialClassifier SpatialNormalization VolumetricConvolution
  VolumetricFullConvolution VolumetricDilatedConvolution VolumetricMaxPooling VolumetricDilatedMaxPooling
  VolumetricFractionalMaxPooling VolumetricAveragePooling VolumetricMaxUnpooling VolumetricReplicationPadding
  VolumetricBatchNormalization ParallelTable ConcatTable SplitTable JoinTable SelectTable MixtureTable CriterionTable
  FlattenTable NarrowTable MapTable Identity MM MV PixelShuffle L1Penalty SpatialAutoCropMSECriterion
  Criterion MSECriterion SmoothL1Criterion MarginCriterion SoftMarginCriterion AbsCriterion ClassNLLCriterion
  SpatialClassNLLCriterion ClassSimplexCriterion DistKLDivCriterion MultiCriterion L1HingeEmbeddingCriterion
  HingeEmbeddingCriterion CosineEmbeddingCriterion MarginRankingCriterion MultiMarginCriterion
  MultiLabelMarginCriterion MultiLabelSoftMarginCriterion L1Cost WeightedMSECriterion BCECriterion
  CrossEntropyCriterion ParallelCriterion TemporalCriterion DistanceRatioCriterion ModuleCriterion
  Sequencer Recursor Recurrent LSTM FastLSTM GRU SeqLSTM SeqGRU MaskZero BiSequencer Repeater RecurrentAttention
  Serial Inception SpatialUniformCrop Dictionary Reinforce ReinforceNormal VRClassReward DataParallelTable GPU
  ModelParallelTable NCEModule NCECriterion SpatialGlimpse SpatialRegionDropout SpatialFeatNormalization
  SpatialMatching AbstractRecurrent Recurrence NormStabilizer SAdd CopyGrad TrimZero LookupTableMaskZero Mufuru
  AbstractSequencer BiSequencerLM SeqLSTMP SeqReverseSequence SeqBRNN RecurrentVisualAttention SequencerCriterion
  RepeaterCriterion MaskZeroCriterion ReinforceBernoulli ReinforceCategorical ReinforceGamma BinaryClassReward
  BinaryLogisticRegression SpatialBinaryLogisticRegression ArgMax CategoricalEntropy TotalDropout ZipTable
  ZipTableOneToMany ReverseTable Clip FireModule SpatialBinaryConvolution]]):gmatch("%S+") do
  names[name] = true
end
return names
