/** The lab's Docker resources: Pulumi dynamic resources over dockerode. */
export { Container, type ContainerInputs } from "./container";
export { Link, type LinkInputs } from "./link";
export { Script, type ScriptInputs } from "./script";
export { NeighbourLimits } from "./limits";
export { ImageCopy } from "./image";
