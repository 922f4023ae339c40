import Flow
import Wire
